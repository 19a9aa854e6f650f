//! Persistence behind one type, [`Store`]: SQLite (WAL) or PostgreSQL through sqlx, chosen by
//! the database URL, with each backend's migrations applied at start.
//!
//! Every query is written once, in SQL both backends accept (`$1` placeholders, `BIGINT`
//! integers, text JSON, milliseconds since the epoch for times), and run on whichever pool is
//! open through [`with_pool!`]; steps that several transactions share are written once for
//! both backends in `write_steps.rs`. The world never sees SQL; it hands
//! [`crate::world::PositionUpdate`]s to the write-behind [`persister`].

mod account_listing;
mod accounts;
mod agent_brains;
mod agent_notebooks;
mod agents;
mod audit;
mod board;
mod board_records;
mod boosts;
mod chat_moderation;
mod chats;
mod controls;
mod ledger;
mod ledger_commit;
mod ledger_verify;
mod llm_usage;
mod moderation;
pub mod persister;
mod placeholders;
mod screening;
mod tool_calls;
mod web_sessions;
mod write_steps;
mod write_transaction;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};
use thiserror::Error;

pub use accounts::{AccountRecord, NewAccount, username_key};
pub use agent_notebooks::PublishedNotebook;
pub use agents::NewAgent;
pub use audit::{AuditEntry, AuditFilter, AuditRecord};
pub use board_records::{BoardQuery, NewPost, NewReply, Reader, ReplyRefused};
pub use boosts::BoostRecord;
pub use chats::ChatOpening;
pub use controls::AgentControl;
pub use ledger::{
    DEPOSITS_ACCOUNT, ESCROW_ACCOUNT, MINT_ACCOUNT, SINK_ACCOUNT, TRANSFER_BATCH_MAX,
    TransferBatch, TransferRecord, agent_account_name,
};
pub use ledger_verify::LedgerReport;
pub use llm_usage::LlmUsage;
pub use moderation::{DecisionRecord, Moderated, ReviewQueue};
pub use screening::{NewDecision, Screening};
pub use web_sessions::WebSession;

/// Each backend's migrations, embedded at build time.
static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

/// Connections per PostgreSQL pool.
const POSTGRES_CONNECTIONS_MAX: u32 = 8;
/// Connections per SQLite pool (one writer at a time anyway).
const SQLITE_CONNECTIONS_MAX: u32 = 4;
/// How long a query waits for a free connection.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// Why the store failed.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("{0}")]
    Conflict(String),
    #[error("unsupported database URL {0:?}: use sqlite://path or postgres://user@host/database")]
    UnsupportedUrl(String),
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// Whether any constraint (foreign key, unique, check, not null) refused the write.
    pub fn is_constraint_violation(&self) -> bool {
        matches!(self, StoreError::Database(sqlx::Error::Database(db))
            if db.is_foreign_key_violation() || db.is_unique_violation() || db.is_check_violation()
                || matches!(db.kind(), sqlx::error::ErrorKind::NotNullViolation))
    }

    /// Whether a foreign key refused the write (a row it names does not exist).
    pub fn is_foreign_key_violation(&self) -> bool {
        matches!(self, StoreError::Database(sqlx::Error::Database(db)) if db.is_foreign_key_violation())
    }

    /// Maps a unique-constraint violation to [`StoreError::Conflict`] with `message`.
    fn conflict_on_unique(error: sqlx::Error, message: impl FnOnce() -> String) -> StoreError {
        match &error {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict(message())
            }
            _ => StoreError::Database(error),
        }
    }
}

/// Which database a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone, Debug)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the open pool, whichever backend it is. The body is
/// compiled once per backend, so it must be SQL both accept.
macro_rules! with_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.pool {
            $crate::store::Pool::Sqlite($pool) => $body,
            $crate::store::Pool::Postgres($pool) => $body,
        }
    };
}
pub(crate) use with_pool;

/// A handle to the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: Pool,
}

impl Store {
    /// Opens the database at `url` without migrating it: `sqlite://path` (created if missing)
    /// or `postgres://...` (the database must exist).
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Store {
                pool: Pool::Sqlite(open_sqlite(url).await?),
            })
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(POSTGRES_CONNECTIONS_MAX)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .connect_with(options)
                .await?;
            Ok(Store {
                pool: Pool::Postgres(pool),
            })
        } else {
            Err(StoreError::UnsupportedUrl(redact_url(url)))
        }
    }

    /// Opens the database and applies every pending migration.
    pub async fn open_and_migrate(url: &str) -> Result<Store, StoreError> {
        let store = Store::open(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Which backend this store uses.
    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies pending migrations; returns how many were applied.
    pub async fn migrate(&self) -> Result<usize, StoreError> {
        let before = self.applied_migrations().await.unwrap_or(0);
        match &self.pool {
            Pool::Sqlite(pool) => SQLITE_MIGRATOR.run(pool).await?,
            Pool::Postgres(pool) => POSTGRES_MIGRATOR.run(pool).await?,
        }
        Ok(self.applied_migrations().await?.saturating_sub(before))
    }

    async fn applied_migrations(&self) -> Result<usize, StoreError> {
        let count: i64 = with_pool!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
                .fetch_one(pool)
                .await?
        });
        Ok(usize::try_from(count).unwrap_or(0))
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }

    /// Closes every connection (after the last write).
    pub async fn close(&self) {
        with_pool!(self, pool => pool.close().await);
    }
}

async fn open_sqlite(url: &str) -> Result<SqlitePool, StoreError> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        let file = path.split('?').next().unwrap_or(path);
        if let Some(parent) = std::path::Path::new(file).parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(|e| {
                StoreError::Corrupt(format!("cannot create {}: {e}", parent.display()))
            })?;
        }
    }
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // WAL + FULL: a committed transaction survives a power cut, not only a process crash:
        // an acknowledged transfer is durable (docs/ECONOMY.md). Group commit keeps it cheap.
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(5))
        .foreign_keys(true);
    Ok(SqlitePoolOptions::new()
        .max_connections(SQLITE_CONNECTIONS_MAX)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(options)
        .await?)
}

/// The URL without a password, for error messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Converts a stored id to the unsigned id the API uses.
fn id_from_db(id: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(id).map_err(|_| StoreError::Corrupt(format!("{what} id {id} is negative")))
}

/// Converts an API id to the stored form (ids beyond `i64::MAX` cannot exist, so they match nothing).
pub(crate) fn id_to_db(id: u64) -> i64 {
    i64::try_from(id).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_are_redacted_from_urls() {
        // A password in a database URL never reaches an error message.
        assert_eq!(
            redact_url("postgres://v:secret@localhost/db"),
            "postgres://v:***@localhost/db"
        );
        assert_eq!(
            redact_url("postgres://v@localhost/db"),
            "postgres://v@localhost/db"
        );
        assert_eq!(redact_url("sqlite://data/v.db"), "sqlite://data/v.db");
    }
}
