//! How the store begins a transaction that writes: [`BeginWrite::begin_write`], which every
//! transaction in `store/` uses instead of sqlx's plain begin, and [`BeginWrite::row_lock`] for
//! a read that the transaction's writes depend on. Nothing else here: no queries.
//!
//! SQLite: a plain `BEGIN` is deferred, so a transaction takes the write lock only at its first
//! write. One that reads first holds a read snapshot, and if another writer commits before it
//! writes, SQLite cannot upgrade that snapshot: the write fails at once with `SQLITE_BUSY`
//! ("database is locked") without waiting out the busy timeout. Sixteen moderators deciding on
//! one post answered 500 about half the time that way (issue 18, item 6). `BEGIN IMMEDIATE`
//! takes the write lock at the start, waiting up to the busy timeout for it, so writers queue
//! instead of failing; readers are not blocked (WAL). Every write transaction begins so, not
//! only those that read first today: the next edit that adds a read to one cannot bring the
//! failure back.
//!
//! PostgreSQL: transactions begin as usual (read committed), which never fails this way; a
//! transaction whose decision depends on a row it read locks that row with
//! [`BeginWrite::row_lock`] (`FOR NO KEY UPDATE`), so concurrent decisions on one row take turns
//! and each sees what the one before it wrote.

use std::future::Future;

use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};

/// Beginning write transactions, the same way on both backends' pools (see the module docs).
pub(crate) trait BeginWrite {
    type Database: sqlx::Database;

    /// Begins a transaction that will write: on SQLite it holds the write lock from the start.
    fn begin_write(
        &self,
    ) -> impl Future<Output = Result<Transaction<'static, Self::Database>, sqlx::Error>> + Send;

    /// What to append to a `SELECT` of one row whose value the transaction's writes depend on:
    /// ` FOR NO KEY UPDATE` on PostgreSQL (the lock an `UPDATE` of the row takes, which leaves
    /// foreign-key checks of other rows pointing at it free to go on); nothing on SQLite, where
    /// `begin_write` already holds the database's only write lock (and the syntax does not
    /// exist).
    fn row_lock(&self) -> &'static str;
}

impl BeginWrite for SqlitePool {
    type Database = Sqlite;

    fn begin_write(
        &self,
    ) -> impl Future<Output = Result<Transaction<'static, Sqlite>, sqlx::Error>> + Send {
        self.begin_with("BEGIN IMMEDIATE")
    }

    fn row_lock(&self) -> &'static str {
        ""
    }
}

impl BeginWrite for PgPool {
    type Database = Postgres;

    fn begin_write(
        &self,
    ) -> impl Future<Output = Result<Transaction<'static, Postgres>, sqlx::Error>> + Send {
        self.begin()
    }

    fn row_lock(&self) -> &'static str {
        " FOR NO KEY UPDATE"
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_store_transaction_begins_through_begin_write() {
        // No file of the store begins a transaction with sqlx's plain `begin()` (deferred on
        // SQLite), so none can fail with "database is locked" when it reads before it writes.
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/store");
        let plain_begin = concat!(".begin", "()");
        let mut checked = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "rs")
                && !path.ends_with("write_transaction.rs")
            {
                let source = std::fs::read_to_string(&path).unwrap();
                assert!(
                    !source.contains(plain_begin),
                    "{} begins a transaction without begin_write",
                    path.display()
                );
                checked += 1;
            }
        }
        assert!(
            checked > 10,
            "only {checked} store files found in {}",
            dir.display()
        );
    }
}
