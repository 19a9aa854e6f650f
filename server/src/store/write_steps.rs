//! The steps that more than one write transaction of the store runs, written once for both
//! backends as the provided functions of [`WriteSteps`]: an audit entry, the compliance guard's
//! decisions (alone or with the audit entry), a moderator's decision on one row, ending an
//! account's sessions, an agent's row and its account, a chat message. A step runs inside a
//! transaction its caller began with `begin_write` (a one-statement step may run on the pool
//! instead) and leaves the commit to that caller, except [`WriteSteps::decide_on_row`], which
//! is one whole transaction. No store method lives here, and no step begins a transaction of
//! its own but that one.
//!
//! Why one trait and not free generic functions: the steps need the same sqlx bounds (the
//! connection as an executor, `i64` and text encoding, `i64` decoding), and Rust assumes a
//! trait's `where` clauses only inside the trait itself, never behind a `DB: Trait` bound
//! elsewhere (rust-lang/rust#20671). Stated here once, they would otherwise be repeated on
//! every function. [`Sqlite`] and [`Postgres`] are the only implementations; callers name the
//! trait (`WriteSteps::insert_audit(&mut *tx, ...)`) and the backend is inferred from the
//! transaction or pool inside `with_pool!`.
//!
//! Why `-> impl Future + Send` and not `async fn`: handlers hold these futures across their
//! own awaits in closures generic over lifetimes, and proving an `async fn`'s future `Send`
//! there fails ("implementation of `Executor` is not general enough"); the declared `Send` is
//! proved once, here.

use std::future::Future;

use shared::Author;
use sqlx::query::QueryAs;
use sqlx::{
    Database, Encode, Executor, FromRow, IntoArguments, Postgres, Sqlite, Transaction, Type,
};

use super::agents::{AGENT_COLUMNS, AgentRow, NewAgent};
use super::audit::AuditEntry;
use super::board_records::labels_to_db;
use super::chats::{MESSAGE_COLUMNS, MessageRow};
use super::id_to_db;
use super::screening::{NewDecision, Screening};
use super::write_transaction::BeginWrite;

/// The tables a moderator decides on: each has `id` and `held` columns. The name is pasted
/// into SQL, so only these names may reach it.
const MODERATED_TABLES: [&str; 3] = ["board_posts", "board_replies", "chat_messages"];

/// A database the store's shared write steps run on, with the bounds they need stated once
/// (see the module docs). The steps take the transaction (`&mut Transaction`) where they run
/// several statements, and any executor (a transaction's connection or a pool) where they run
/// one.
pub(super) trait WriteSteps: Database
where
    for<'c> &'c mut Self::Connection: Executor<'c, Database = Self>,
    Self::Arguments: IntoArguments<Self>,
    for<'q> i64: Encode<'q, Self> + Type<Self>,
    for<'q> Option<i64>: Encode<'q, Self> + Type<Self>,
    for<'q, 'a> &'a str: Encode<'q, Self> + Type<Self>,
    for<'q> String: Encode<'q, Self> + Type<Self>,
    for<'q> Option<String>: Encode<'q, Self> + Type<Self>,
    (i64,): for<'r> FromRow<'r, Self::Row>,
{
    /// Inserts one audit entry at `at_ms`: in the transaction of the change it records, or on
    /// the pool for an entry that records no other write (a refusal).
    fn insert_audit<'c, E>(
        executor: E,
        entry: &AuditEntry,
        at_ms: i64,
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send
    where
        E: Executor<'c, Database = Self>,
    {
        async move {
            sqlx::query(
                "INSERT INTO audit_log (at_ms, actor_account_id, actor_role, action, target, \
                 outcome, request_id, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(at_ms)
            .bind(entry.actor_account_id.map(id_to_db))
            .bind(&entry.actor_role)
            .bind(&entry.action)
            .bind(&entry.target)
            .bind(entry.outcome)
            .bind(&entry.request_id)
            .bind(&entry.detail)
            .execute(executor)
            .await?;
            Ok(())
        }
    }

    /// Inserts the guard's `decisions` on `target` (written by `author_account_id`), in the
    /// transaction that stores the text they are about, or alone for a refused text.
    fn insert_decisions(
        tx: &mut Transaction<'_, Self>,
        decisions: &[NewDecision],
        target: &str,
        author_account_id: u64,
        at_ms: i64,
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send {
        async move {
            for decision in decisions {
                sqlx::query(
                    "INSERT INTO compliance_decisions (at_ms, target, author_account_id, rule, \
                     action, excerpt) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(at_ms)
                .bind(target)
                .bind(id_to_db(author_account_id))
                .bind(&decision.rule)
                .bind(decision.action)
                .bind(&decision.excerpt)
                .execute(&mut **tx)
                .await?;
            }
            Ok(())
        }
    }

    /// The tail of storing a new post or reply: the guard's `decisions` on it and `audit`,
    /// both aimed at `target` (`post:3`, `post:3/reply:9`).
    fn insert_decisions_and_audit(
        tx: &mut Transaction<'_, Self>,
        decisions: &[NewDecision],
        target: String,
        author_account_id: u64,
        audit: &AuditEntry,
        at_ms: i64,
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send {
        async move {
            Self::insert_decisions(tx, decisions, &target, author_account_id, at_ms).await?;
            let mut audit = audit.clone();
            audit.target = target;
            Self::insert_audit(&mut **tx, &audit, at_ms).await
        }
    }

    /// A moderator's decision on row `id` of `table`, as one write transaction: reads whether
    /// the row was held, locking it until the commit, then runs `update` (a bound
    /// `UPDATE ... RETURNING`) and inserts `audit`. `(was_held, record)`, or `None` when there
    /// is no such row (then nothing is written).
    fn decide_on_row<P, R>(
        pool: &P,
        table: &'static str,
        id: i64,
        audit: &AuditEntry,
        now_ms: i64,
        update: QueryAs<'_, Self, R, Self::Arguments>,
    ) -> impl Future<Output = Result<Option<(i64, R)>, sqlx::Error>> + Send
    where
        P: BeginWrite<Database = Self> + Sync,
        R: for<'r> FromRow<'r, Self::Row> + Send + Unpin,
    {
        async move {
            assert!(
                MODERATED_TABLES.contains(&table),
                "{table} is not a moderated table"
            );
            let mut tx = pool.begin_write().await?;
            // Locked until the decision commits: a concurrent decision on the same row waits, then
            // reads the hold this one ended, so exactly one of them publishes a held text.
            let select = format!("SELECT held FROM {table} WHERE id = $1{}", pool.row_lock());
            let was_held: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(select))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            let record = match was_held {
                Some(_) => {
                    let record = update.fetch_one(&mut *tx).await?;
                    Self::insert_audit(&mut *tx, audit, now_ms).await?;
                    Some(record)
                }
                None => None,
            };
            tx.commit().await?;
            Ok(was_held.zip(record))
        }
    }

    /// Ends every live session of `account_id` and inserts `audit`: what a revocation and a
    /// role change share (a session's tokens carry the account's standing). Returns the ids of
    /// the sessions it ended.
    fn end_sessions_and_audit(
        tx: &mut Transaction<'_, Self>,
        account_id: u64,
        audit: &AuditEntry,
        now_ms: i64,
    ) -> impl Future<Output = Result<Vec<i64>, sqlx::Error>> + Send {
        async move {
            let ended: Vec<i64> = sqlx::query_scalar(
                "UPDATE sessions SET revoked_at_ms = $1 \
                 WHERE account_id = $2 AND revoked_at_ms IS NULL RETURNING id",
            )
            .bind(now_ms)
            .bind(id_to_db(account_id))
            .fetch_all(&mut **tx)
            .await?;
            Self::insert_audit(&mut **tx, audit, now_ms).await?;
            Ok(ended)
        }
    }

    /// Creates the account of agent `agent_id` (stored form), named `agent-<id>` and holding
    /// only `token_hash`, for a new agent or one that had none; returns the account's id.
    fn insert_agent_account<'c, E>(
        executor: E,
        agent_id: i64,
        token_hash: &str,
        now_ms: i64,
    ) -> impl Future<Output = Result<i64, sqlx::Error>> + Send
    where
        E: Executor<'c, Database = Self>,
    {
        async move {
            sqlx::query_scalar(
                "INSERT INTO accounts (username, username_key, role, token_hash, agent_id, \
                 created_at_ms, updated_at_ms) VALUES ($1, $1, 'agent', $2, $3, $4, $4) \
                 RETURNING id",
            )
            .bind(format!("agent-{agent_id}"))
            .bind(token_hash)
            .bind(agent_id)
            .bind(now_ms)
            .fetch_one(executor)
            .await
        }
    }

    /// Inserts one agent row, on a pool (an agent alone) or in the transaction that also
    /// creates its account; returns the row as stored.
    fn insert_agent_row<'c, E>(
        executor: E,
        agent: &NewAgent,
        now_ms: i64,
    ) -> impl Future<Output = Result<AgentRow, sqlx::Error>> + Send
    where
        E: Executor<'c, Database = Self>,
        AgentRow: for<'r> FromRow<'r, Self::Row>,
    {
        async move {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "INSERT INTO agents (display_name, persona, home, profile, last_seen_ms, \
                 created_at_ms, updated_at_ms, brain) VALUES ($1, $2, $3, $4, $5, $5, $5, $6) \
                 RETURNING {AGENT_COLUMNS}"
            )))
            .bind(&agent.display_name)
            .bind(&agent.persona)
            .bind(&agent.home)
            .bind(agent.profile.to_string())
            .bind(now_ms)
            .bind(agent.brain.as_str())
            .fetch_one(executor)
            .await
        }
    }

    /// Inserts one message of chat `chat_id` (stored form) and the guard's decisions on it;
    /// returns its row. Opening a chat and adding to one both run it.
    fn insert_message(
        tx: &mut Transaction<'_, Self>,
        chat_id: i64,
        author: &Author,
        body: &str,
        screening: &Screening,
        now_ms: i64,
    ) -> impl Future<Output = Result<MessageRow, sqlx::Error>> + Send
    where
        MessageRow: for<'r> FromRow<'r, Self::Row>,
    {
        async move {
            let sql = format!(
                "INSERT INTO chat_messages (chat_id, author_account_id, author_role, \
                 author_agent_id, author_name, body, created_at_ms, held, labels, review_pending) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {MESSAGE_COLUMNS}"
            );
            let row: MessageRow = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(chat_id)
                .bind(id_to_db(author.account_id.0))
                .bind(&author.role)
                .bind(author.agent_id.map(|id| id_to_db(id.0)))
                .bind(&author.name)
                .bind(body)
                .bind(now_ms)
                .bind(i64::from(screening.held))
                .bind(labels_to_db(&screening.labels))
                .bind(i64::from(screening.needs_review()))
                .fetch_one(&mut **tx)
                .await?;
            let target = row.target();
            Self::insert_decisions(
                tx,
                &screening.decisions,
                &target,
                author.account_id.0,
                now_ms,
            )
            .await?;
            Ok(row)
        }
    }
}

impl WriteSteps for Sqlite {}

impl WriteSteps for Postgres {}
