//! The append-only audit log: entries are inserted in the same transaction as the change they
//! record (or alone, for refusals) by `WriteSteps::insert_audit` (`write_steps.rs`), read back
//! with filters and a cursor, and never updated or deleted (the migrations add triggers that
//! refuse both).

use serde::Serialize;
use utoipa::ToSchema;

use super::write_steps::WriteSteps;
use super::{Store, StoreError, id_from_db, id_to_db, with_pool};

/// One thing to record. Times are set by the store function that writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// The account that acted; `None` for anonymous callers and the server itself.
    pub actor_account_id: Option<u64>,
    /// The actor's role, or `anonymous` / `system`.
    pub actor_role: String,
    /// What was done, e.g. `board.post`, `auth.login`, `admin.agent_token_revoke`.
    pub action: String,
    /// What it was done to, e.g. `post:12`, `account:3`.
    pub target: String,
    /// `ok`, `denied` or `failed`.
    pub outcome: &'static str,
    /// The request's `x-request-id`.
    pub request_id: String,
    /// A short free-text note (a moderation reason, a refused field); never a secret.
    pub detail: String,
}

impl AuditEntry {
    /// An entry for something the server itself or its command line did (`actor_role`
    /// `system`, no account, an empty target filled in by the store function).
    pub fn system(action: &str, request_id: &str) -> AuditEntry {
        AuditEntry {
            actor_account_id: None,
            actor_role: "system".into(),
            action: action.into(),
            target: String::new(),
            outcome: "ok",
            request_id: request_id.into(),
            detail: String::new(),
        }
    }
}

/// A stored entry, as `GET /admin/audit` returns it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, sqlx::FromRow)]
pub struct AuditRecord {
    #[sqlx(try_from = "i64")]
    pub id: u64,
    pub at_ms: i64,
    pub actor_account_id: Option<i64>,
    pub actor_role: String,
    pub action: String,
    pub target: String,
    pub outcome: String,
    pub request_id: String,
    pub detail: String,
}

/// Filters of `GET /admin/audit`; every set field must match.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor_account_id: Option<u64>,
    pub action: Option<String>,
    pub target: Option<String>,
    pub outcome: Option<String>,
    /// Only entries older than this id (the cursor of the previous page).
    pub before_id: Option<u64>,
    pub limit: u32,
}

impl Store {
    /// Records one entry on its own (refusals, and acts with no other write).
    pub async fn append_audit(&self, entry: &AuditEntry, at_ms: i64) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            WriteSteps::insert_audit(pool, entry, at_ms).await?;
        });
        Ok(())
    }

    /// Entries matching `filter`, newest first.
    pub async fn list_audit(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>, StoreError> {
        // Unset filters are bound as NULL and match everything, so the statement is fixed.
        let sql = "SELECT id, at_ms, actor_account_id, actor_role, action, target, outcome, \
                   request_id, detail FROM audit_log \
                   WHERE ($1 IS NULL OR actor_account_id = $1) \
                   AND ($2 IS NULL OR action = $2) \
                   AND ($3 IS NULL OR target = $3) \
                   AND ($4 IS NULL OR outcome = $4) \
                   AND ($5 IS NULL OR id < $5) \
                   ORDER BY id DESC LIMIT $6";
        let rows: Vec<AuditRecord> = with_pool!(self, pool => {
            sqlx::query_as(sql)
                .bind(filter.actor_account_id.map(id_to_db))
                .bind(&filter.action)
                .bind(&filter.target)
                .bind(&filter.outcome)
                .bind(filter.before_id.map(id_to_db))
                .bind(i64::from(filter.limit))
                .fetch_all(pool)
                .await?
        });
        Ok(rows)
    }

    /// How many entries exist (tests check that refused requests still leave one).
    pub async fn count_audit(&self) -> Result<u64, StoreError> {
        let count: i64 = with_pool!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_log").fetch_one(pool).await?
        });
        id_from_db(count, "count")
    }
}
