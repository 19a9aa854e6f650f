//! Browser sessions of the town hall's pages (`web_sessions`). The cookie's token is stored
//! only as its hash; the account's role and standing are read with the session on every
//! request, so a role change or a revoked account takes effect at once.

use super::audit::AuditEntry;
use super::write_steps::WriteSteps;
use super::write_transaction::BeginWrite;
use super::{Store, StoreError, id_from_db, id_to_db, with_pool};

/// A live session and its account, as a page request sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSession {
    pub id: u64,
    pub account_id: u64,
    pub username: String,
    pub role: String,
    pub agent_id: Option<u64>,
    /// The form token of every page of this session.
    pub csrf_token: String,
    pub expires_at_ms: i64,
}

#[derive(sqlx::FromRow)]
struct WebSessionRow {
    id: i64,
    account_id: i64,
    username: String,
    role: String,
    agent_id: Option<i64>,
    csrf_token: String,
    expires_at_ms: i64,
}

impl Store {
    /// Opens a session for an account that is not revoked; `None` when it is (or is gone).
    pub async fn insert_web_session(
        &self,
        account_id: u64,
        token_hash: &str,
        csrf_token: &str,
        expires_at_ms: i64,
        audit: &AuditEntry,
        now_ms: i64,
    ) -> Result<Option<u64>, StoreError> {
        let id: Option<i64> = with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            // The insert reads the account in the same statement, so a revoke that commits
            // first leaves no session behind.
            let id: Option<i64> = sqlx::query_scalar(
                "INSERT INTO web_sessions (account_id, token_hash, csrf_token, created_at_ms, \
                 expires_at_ms) SELECT id, $2, $3, $4, $5 FROM accounts \
                 WHERE id = $1 AND revoked_at_ms IS NULL RETURNING id",
            )
            .bind(id_to_db(account_id))
            .bind(token_hash)
            .bind(csrf_token)
            .bind(now_ms)
            .bind(expires_at_ms)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(id) = id {
                let mut audit = audit.clone();
                audit.target = format!("web_session:{id}");
                WriteSteps::insert_audit(&mut *tx, &audit, now_ms).await?;
            }
            tx.commit().await?;
            id
        });
        id.map(|id| id_from_db(id, "web session")).transpose()
    }

    /// The live session whose token hashes to `token_hash`: not ended, not expired, and its
    /// account not revoked.
    pub async fn find_web_session(
        &self,
        token_hash: &str,
        now_ms: i64,
    ) -> Result<Option<WebSession>, StoreError> {
        let sql = "SELECT s.id, s.account_id, a.username, a.role, a.agent_id, s.csrf_token, \
                   s.expires_at_ms FROM web_sessions s JOIN accounts a ON a.id = s.account_id \
                   WHERE s.token_hash = $1 AND s.ended_at_ms IS NULL AND s.expires_at_ms > $2 \
                   AND a.revoked_at_ms IS NULL";
        let row: Option<WebSessionRow> = with_pool!(self, pool => {
            sqlx::query_as(sql)
                .bind(token_hash)
                .bind(now_ms)
                .fetch_optional(pool)
                .await?
        });
        row.map(|row| {
            Ok(WebSession {
                id: id_from_db(row.id, "web session")?,
                account_id: id_from_db(row.account_id, "account")?,
                username: row.username,
                role: row.role,
                agent_id: row.agent_id.map(|a| id_from_db(a, "agent")).transpose()?,
                csrf_token: row.csrf_token,
                expires_at_ms: row.expires_at_ms,
            })
        })
        .transpose()
    }

    /// Ends a session (logout); its cookie stops working at once. Ending an ended session
    /// changes nothing and records nothing.
    pub async fn end_web_session(
        &self,
        id: u64,
        audit: &AuditEntry,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let ended = with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let ended = sqlx::query(
                "UPDATE web_sessions SET ended_at_ms = $1 WHERE id = $2 AND ended_at_ms IS NULL",
            )
            .bind(now_ms)
            .bind(id_to_db(id))
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if ended {
                WriteSteps::insert_audit(&mut *tx, audit, now_ms).await?;
            }
            tx.commit().await?;
            ended
        });
        Ok(ended)
    }

    /// Deletes sessions that expired before `before_ms` (their cookies cannot work any more).
    pub async fn delete_expired_web_sessions(&self, before_ms: i64) -> Result<u64, StoreError> {
        let deleted = with_pool!(self, pool => {
            sqlx::query("DELETE FROM web_sessions WHERE expires_at_ms < $1")
                .bind(before_ms)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(deleted)
    }
}
