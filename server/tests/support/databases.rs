//! Fresh databases for tests: a SQLite file in a temp folder, or a new database on the
//! throwaway PostgreSQL cluster that `scripts/test.sh` starts (`VILLAGE_TEST_PG_URL`).
//! Under `CI=true` a missing cluster is an error, not a skip.

use sqlx::Connection;

/// The admin URL of the test cluster, if one is running.
pub fn postgres_admin_url() -> Option<String> {
    match std::env::var("VILLAGE_TEST_PG_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true but VILLAGE_TEST_PG_URL is not set: run the tests through scripts/test.sh"
            );
            eprintln!(
                "VILLAGE_TEST_PG_URL not set: PostgreSQL cases skipped (scripts/test.sh starts a cluster)"
            );
            None
        }
    }
}

/// Creates an empty database on the cluster and returns its URL.
pub async fn fresh_postgres_database(admin_url: &str) -> String {
    let name = format!("village_test_{:016x}", rand::random::<u64>());
    let mut admin = sqlx::PgConnection::connect(admin_url).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .unwrap();
    admin.close().await.unwrap();
    // The admin URL names the `postgres` database: swap in the new one.
    admin_url.replacen("/postgres", &format!("/{name}"), 1)
}
