//! Store tests, each run on SQLite and on PostgreSQL (a fresh database on the test cluster):
//! the same queries must mean the same on both.
#![allow(clippy::unwrap_used)]

#[path = "../support/databases.rs"]
mod databases;

mod accounts;
mod agent_notebooks;
mod agents;
mod audit;
mod board;
mod chats;
mod concurrent_accounts;
mod concurrent_moderation;
mod concurrent_writes;
mod ledger;
mod moderation;
mod web_sessions;

use village_server::store::{AuditEntry, Store};

/// A migrated SQLite store and, when the cluster runs, a migrated PostgreSQL store. The temp
/// folder keeps the SQLite file alive.
pub async fn each_backend() -> (Vec<Store>, tempfile::TempDir) {
    let (stores, dir) = each_backend_with_urls().await;
    (stores.into_iter().map(|(store, _)| store).collect(), dir)
}

/// [`each_backend`] with each store's URL, for tests that also reach the database directly.
pub async fn each_backend_with_urls() -> (Vec<(Store, String)>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}", dir.path().join("test.db").display());
    let mut stores = vec![(Store::open_and_migrate(&sqlite).await.unwrap(), sqlite)];
    if let Some(admin) = databases::postgres_admin_url() {
        let url = databases::fresh_postgres_database(&admin).await;
        stores.push((Store::open_and_migrate(&url).await.unwrap(), url));
    }
    (stores, dir)
}

/// Runs `sql` on its own connection to `url`, behind the store's back (to tamper with data).
pub async fn execute_raw(url: &str, sql: &'static str) -> Result<u64, sqlx::Error> {
    use sqlx::Connection;
    if url.starts_with("sqlite:") {
        let mut connection = sqlx::SqliteConnection::connect(url).await?;
        Ok(sqlx::query(sql)
            .execute(&mut connection)
            .await?
            .rows_affected())
    } else {
        let mut connection = sqlx::PgConnection::connect(url).await?;
        Ok(sqlx::query(sql)
            .execute(&mut connection)
            .await?
            .rows_affected())
    }
}

/// An audit entry from a test actor.
pub fn audit(action: &str) -> AuditEntry {
    AuditEntry::system(action, "test")
}

/// How many calls the concurrency tests make at once on one write path (as many as the issue's
/// report: 16 moderators on one post).
pub const CALLS: usize = 16;

/// Runs `call(0..CALLS)` at once and returns the results in call order. The futures share one
/// task, but each holds its own pooled connection while it waits, so the database sees them
/// overlap.
pub async fn concurrently<T, F>(call: impl Fn(usize) -> F) -> Vec<T>
where
    F: std::future::Future<Output = T>,
{
    futures_util::future::join_all((0..CALLS).map(call)).await
}

/// Fails with how many of `results` are errors, and the first, when any is.
pub fn assert_none_failed<T, E: std::fmt::Display>(
    store: &Store,
    what: &str,
    results: &[Result<T, E>],
) {
    let errors: Vec<String> = results
        .iter()
        .filter_map(|r| r.as_ref().err().map(E::to_string))
        .collect();
    assert!(
        errors.is_empty(),
        "{:?}: {} of {} {what} failed, first: {}",
        store.backend(),
        errors.len(),
        results.len(),
        errors[0]
    );
}

#[tokio::test]
async fn migrations_apply_once_on_both_backends() {
    // A second migrate applies nothing on either backend, and both answer a ping.
    let (stores, _dir) = each_backend().await;
    for store in &stores {
        assert_eq!(store.migrate().await.unwrap(), 0, "{:?}", store.backend());
        store.ping().await.unwrap();
    }
}

#[tokio::test]
async fn a_password_in_an_unusable_url_is_not_echoed() {
    // Opening an unsupported URL fails with an error that does not contain the password.
    let error = Store::open("mysql://u:hunter2@h/db").await.unwrap_err();
    assert!(!error.to_string().contains("hunter2"), "{error}");
}
