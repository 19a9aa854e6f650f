//! Queries on `accounts` and `sessions`, one function per query. Every change that the audit
//! log must show takes its [`AuditEntry`] and writes it in the same transaction. The steps
//! two of these transactions share (ending an account's sessions, an agent's account) are in
//! `write_steps.rs`.

use shared::AccountId;

use super::audit::AuditEntry;
use super::write_steps::WriteSteps;
use super::write_transaction::BeginWrite;
use super::{Store, StoreError, id_from_db, id_to_db, with_pool};

/// An account to create. Exactly one of `password_hash` (people) or `token_hash` (agents) is
/// usually set; `agent_id` is set exactly for the `agent` role.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub username: String,
    pub role: String,
    pub password_hash: Option<String>,
    pub token_hash: Option<String>,
    pub agent_id: Option<u64>,
}

/// An account as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AccountRecord {
    #[sqlx(try_from = "i64")]
    pub id: AccountId,
    pub username: String,
    pub role: String,
    pub password_hash: Option<String>,
    pub token_hash: Option<String>,
    pub agent_id: Option<i64>,
    pub revoked_at_ms: Option<i64>,
    pub created_at_ms: i64,
}

impl AccountRecord {
    /// The agent this account speaks for, if it is an agent account.
    pub fn agent(&self) -> Option<u64> {
        self.agent_id.and_then(|id| u64::try_from(id).ok())
    }
}

pub(super) const ACCOUNT_COLUMNS: &str = "id, username, role, password_hash, token_hash, agent_id, \
                               revoked_at_ms, created_at_ms";

/// The key a username is unique under.
pub fn username_key(username: &str) -> String {
    username.to_lowercase()
}

impl Store {
    /// Creates an account; a taken username is a conflict.
    pub async fn insert_account(
        &self,
        account: &NewAccount,
        audit: &AuditEntry,
        now_ms: i64,
    ) -> Result<AccountRecord, StoreError> {
        let sql = format!(
            "INSERT INTO accounts (username, username_key, role, password_hash, token_hash, \
             agent_id, created_at_ms, updated_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
             RETURNING {ACCOUNT_COLUMNS}"
        );
        let result: Result<AccountRecord, sqlx::Error> = with_pool!(self, pool => {
            async {
                let mut tx = pool.begin_write().await?;
                let record: AccountRecord = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(&account.username)
                    .bind(username_key(&account.username))
                    .bind(&account.role)
                    .bind(&account.password_hash)
                    .bind(&account.token_hash)
                    .bind(account.agent_id.map(id_to_db))
                    .bind(now_ms)
                    .fetch_one(&mut *tx)
                    .await?;
                let mut audit = audit.clone();
                audit.target = format!("account:{}", record.id);
                WriteSteps::insert_audit(&mut *tx, &audit, now_ms).await?;
                tx.commit().await?;
                Ok(record)
            }
            .await
        });
        result.map_err(|e| {
            StoreError::conflict_on_unique(e, || {
                format!("the username {:?} is taken", account.username)
            })
        })
    }

    /// The account with this username (any case), if any.
    pub async fn find_account_by_username(
        &self,
        username: &str,
    ) -> Result<Option<AccountRecord>, StoreError> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE username_key = $1");
        Ok(with_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(username_key(username))
                .fetch_optional(pool)
                .await?
        }))
    }

    /// The account with this id, if any.
    pub async fn find_account(&self, id: u64) -> Result<Option<AccountRecord>, StoreError> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1");
        Ok(with_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id_to_db(id))
                .fetch_optional(pool)
                .await?
        }))
    }

    /// The account of this agent, if it has one.
    pub async fn find_agent_account(
        &self,
        agent_id: u64,
    ) -> Result<Option<AccountRecord>, StoreError> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE agent_id = $1");
        Ok(with_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id_to_db(agent_id))
                .fetch_optional(pool)
                .await?
        }))
    }

    /// Every agent account, revoked or not, by agent id: the agents the runtime runs in
    /// containers (agents made without an account, like demo residents, are the server's).
    pub async fn list_agent_accounts(&self) -> Result<Vec<AccountRecord>, StoreError> {
        let sql = format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE agent_id IS NOT NULL ORDER BY agent_id"
        );
        Ok(with_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await?
        }))
    }

    /// Every account that is not revoked and has a token (agents), for the credential cache.
    pub async fn list_token_accounts(&self) -> Result<Vec<AccountRecord>, StoreError> {
        let sql = format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts \
             WHERE token_hash IS NOT NULL AND revoked_at_ms IS NULL ORDER BY id"
        );
        Ok(with_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await?
        }))
    }

    /// Gives an agent a new token (by hash): its account gets the new hash and is live again,
    /// or an account is made for an agent that had none (generated or pre-account agents).
    /// Returns the account id.
    pub async fn issue_agent_token(
        &self,
        agent_id: u64,
        token_hash: &str,
        audit: &AuditEntry,
        now_ms: i64,
    ) -> Result<u64, StoreError> {
        let account: i64 = with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            // The agent's row stays locked until the commit: two issues for an agent without an
            // account would otherwise both find none and both insert one (PostgreSQL).
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT id FROM agents WHERE id = $1{}",
                pool.row_lock()
            )))
            .bind(id_to_db(agent_id))
            .execute(&mut *tx)
            .await?;
            let updated: Option<i64> = sqlx::query_scalar(
                "UPDATE accounts SET token_hash = $1, revoked_at_ms = NULL, updated_at_ms = $2 \
                 WHERE agent_id = $3 RETURNING id",
            )
            .bind(token_hash)
            .bind(now_ms)
            .bind(id_to_db(agent_id))
            .fetch_optional(&mut *tx)
            .await?;
            let account = match updated {
                Some(account) => account,
                None => {
                    let agent = id_to_db(agent_id);
                    WriteSteps::insert_agent_account(&mut *tx, agent, token_hash, now_ms).await?
                }
            };
            WriteSteps::insert_audit(&mut *tx, audit, now_ms).await?;
            tx.commit().await?;
            account
        });
        id_from_db(account, "account")
    }

    /// How many live admin accounts exist.
    pub async fn count_admins(&self) -> Result<u64, StoreError> {
        let count: i64 = with_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM accounts WHERE role = 'admin' AND revoked_at_ms IS NULL",
            )
            .fetch_one(pool)
            .await?
        });
        id_from_db(count, "count")
    }

    /// Ids of revoked accounts (their access tokens stop working at once).
    pub async fn list_revoked_accounts(&self) -> Result<Vec<u64>, StoreError> {
        let ids: Vec<i64> = with_pool!(self, pool => {
            sqlx::query_scalar("SELECT id FROM accounts WHERE revoked_at_ms IS NOT NULL")
                .fetch_all(pool)
                .await?
        });
        ids.into_iter()
            .map(|id| id_from_db(id, "account"))
            .collect()
    }

    /// Marks an account revoked (idempotent: a second revoke keeps the first time). Ends its
    /// sessions too. Returns whether the account exists.
    pub async fn revoke_account(
        &self,
        account_id: u64,
        audit: &AuditEntry,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let changed = with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let exists = sqlx::query(
                "UPDATE accounts SET revoked_at_ms = COALESCE(revoked_at_ms, $1), \
                 updated_at_ms = $1 WHERE id = $2",
            )
            .bind(now_ms)
            .bind(id_to_db(account_id))
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if exists {
                WriteSteps::end_sessions_and_audit(&mut tx, account_id, audit, now_ms).await?;
            }
            tx.commit().await?;
            exists
        });
        Ok(changed)
    }

    /// Changes an account's role and ends its sessions (their tokens carry the old role).
    /// Returns the ids of the sessions ended, or `None` when no person's account has that id.
    pub async fn set_account_role(
        &self,
        account_id: u64,
        role: &str,
        audit: &AuditEntry,
        now_ms: i64,
    ) -> Result<Option<Vec<u64>>, StoreError> {
        let ended: Option<Vec<i64>> = with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let exists = sqlx::query(
                "UPDATE accounts SET role = $1, updated_at_ms = $2 \
                 WHERE id = $3 AND role <> 'agent'",
            )
            .bind(role)
            .bind(now_ms)
            .bind(id_to_db(account_id))
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            let ended = if exists {
                Some(WriteSteps::end_sessions_and_audit(&mut tx, account_id, audit, now_ms).await?)
            } else {
                None
            };
            tx.commit().await?;
            ended
        });
        ended
            .map(|ids| {
                ids.into_iter()
                    .map(|id| id_from_db(id, "session"))
                    .collect()
            })
            .transpose()
    }

    /// Starts a session for a login, if the account still holds `role` and is not revoked;
    /// returns its id, or `None` when the account changed since it was read. The guard takes
    /// the account's row lock, so a role change or revocation running at the same time either
    /// finishes first (and this refuses) or waits and then ends this session too.
    pub async fn insert_session(
        &self,
        account_id: u64,
        role: &str,
        refresh_hash: &str,
        expires_at_ms: i64,
        audit: &AuditEntry,
        now_ms: i64,
    ) -> Result<Option<u64>, StoreError> {
        let id: Option<i64> = with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let unchanged = sqlx::query(
                "UPDATE accounts SET updated_at_ms = updated_at_ms \
                 WHERE id = $1 AND role = $2 AND revoked_at_ms IS NULL",
            )
            .bind(id_to_db(account_id))
            .bind(role)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if !unchanged {
                tx.rollback().await?;
                return Ok(None);
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO sessions (account_id, refresh_hash, created_at_ms, expires_at_ms) \
                 VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(id_to_db(account_id))
            .bind(refresh_hash)
            .bind(now_ms)
            .bind(expires_at_ms)
            .fetch_one(&mut *tx)
            .await?;
            WriteSteps::insert_audit(&mut *tx, audit, now_ms).await?;
            tx.commit().await?;
            Some(id)
        });
        id.map(|id| id_from_db(id, "session")).transpose()
    }

    /// Swaps a live session's refresh token for a new one; returns the session id, its account
    /// and when the session expires (ms), or `None` when the old token is unknown, used,
    /// expired or ended.
    pub async fn rotate_session(
        &self,
        old_hash: &str,
        new_hash: &str,
        now_ms: i64,
    ) -> Result<Option<(u64, u64, i64)>, StoreError> {
        let row: Option<(i64, i64, i64)> = with_pool!(self, pool => {
            sqlx::query_as(
                "UPDATE sessions SET refresh_hash = $1 \
                 WHERE refresh_hash = $2 AND revoked_at_ms IS NULL AND expires_at_ms > $3 \
                 RETURNING id, account_id, expires_at_ms",
            )
            .bind(new_hash)
            .bind(old_hash)
            .bind(now_ms)
            .fetch_optional(pool)
            .await?
        });
        row.map(|(sid, account, expires)| {
            Ok((
                id_from_db(sid, "session")?,
                id_from_db(account, "account")?,
                expires,
            ))
        })
        .transpose()
    }

    /// Ends one session of `account_id`; returns whether it was live.
    pub async fn revoke_session(
        &self,
        session_id: u64,
        account_id: u64,
        audit: &AuditEntry,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        Ok(with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let live = sqlx::query(
                "UPDATE sessions SET revoked_at_ms = $1 \
                 WHERE id = $2 AND account_id = $3 AND revoked_at_ms IS NULL",
            )
            .bind(now_ms)
            .bind(id_to_db(session_id))
            .bind(id_to_db(account_id))
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            WriteSteps::insert_audit(&mut *tx, audit, now_ms).await?;
            tx.commit().await?;
            live
        }))
    }

    /// Deletes sessions that expired before `before_ms` (their tokens cannot work any more).
    pub async fn delete_expired_sessions(&self, before_ms: i64) -> Result<u64, StoreError> {
        let deleted = with_pool!(self, pool => {
            sqlx::query("DELETE FROM sessions WHERE expires_at_ms < $1")
                .bind(before_ms)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(deleted)
    }

    /// Ids of ended sessions that have not expired yet: their access tokens must be refused.
    pub async fn list_revoked_sessions(&self, now_ms: i64) -> Result<Vec<u64>, StoreError> {
        let ids: Vec<i64> = with_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT id FROM sessions WHERE revoked_at_ms IS NOT NULL AND expires_at_ms > $1",
            )
            .bind(now_ms)
            .fetch_all(pool)
            .await?
        });
        ids.into_iter()
            .map(|id| id_from_db(id, "session"))
            .collect()
    }
}
