//! Queries on the aiDollar ledger (`ledger_accounts`, `ledger_transfers`, `ledger_entries`):
//! the transfer and batch types, accounts, lookups for idempotency and budgets, and listings.
//! Only the ledger writer task ([`crate::economy::writer`]) writes, through
//! `ledger_commit.rs`; boosts are in `boosts.rs`. Nothing here checks business rules (funds,
//! budgets): the writer does, before it writes.

use shared::AgentId;

use super::audit::AuditEntry;
use super::boosts::BoostRecord;
use super::placeholders::placeholders;
use super::{Store, StoreError, id_to_db, with_pool};

/// The system accounts, created by the migration with these ids.
pub const MINT_ACCOUNT: i64 = 1;
pub const SINK_ACCOUNT: i64 = 2;
pub const DEPOSITS_ACCOUNT: i64 = 3;
pub const ESCROW_ACCOUNT: i64 = 4;

/// Largest group of transfers written in one transaction. Bounds the bind parameters of one
/// multi-row insert (17 per transfer row, well under SQLite's 32,766).
pub const TRANSFER_BATCH_MAX: usize = 512;

/// A transfer as stored; the API shows it as `shared::api::TransferView`.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TransferRecord {
    /// Position in the ledger (commit order).
    pub seq: i64,
    /// The client's idempotency key.
    pub transfer_id: String,
    /// Internal account ids; the API shows the names.
    pub debit_account_id: i64,
    pub credit_account_id: i64,
    /// The accounts' names (`mint`, `agent:17`), read with a join, not stored on the row.
    pub debit_account: String,
    pub credit_account: String,
    pub amount_micros: i64,
    /// `reward`, `penalty`, `deposit_credit`, `purchase_compute`, `llm_usage`, `admin_adjust`.
    pub code: String,
    pub actor_account_id: Option<i64>,
    pub actor_role: String,
    pub post_id: Option<i64>,
    pub reply_id: Option<i64>,
    pub external_ref: Option<String>,
    pub memo: String,
    /// Set on an admin penalty allowed to take the balance below zero.
    pub allow_negative: bool,
    pub debit_balance_after_micros: i64,
    pub credit_balance_after_micros: i64,
    pub request_id: String,
    pub at_ms: i64,
}

/// Everything one group commit writes.
#[derive(Debug, Default)]
pub struct TransferBatch {
    pub transfers: Vec<TransferRecord>,
    pub boosts: Vec<BoostRecord>,
    pub audits: Vec<AuditEntry>,
    /// Net change of each touched account's cached balance.
    pub balance_deltas: Vec<(i64, i64)>,
    pub at_ms: i64,
}

const TRANSFER_COLUMNS: &str = "t.seq, t.transfer_id, t.debit_account_id, t.credit_account_id, \
    d.name AS debit_account, c.name AS credit_account, t.amount_micros, t.code, \
    t.actor_account_id, t.actor_role, t.post_id, t.reply_id, t.external_ref, t.memo, \
    t.allow_negative, t.debit_balance_after_micros, t.credit_balance_after_micros, \
    t.request_id, t.at_ms";
const TRANSFER_JOINS: &str = "FROM ledger_transfers t \
    JOIN ledger_accounts d ON d.id = t.debit_account_id \
    JOIN ledger_accounts c ON c.id = t.credit_account_id";

/// The ledger account name of an agent.
pub fn agent_account_name(agent: AgentId) -> String {
    format!("agent:{}", agent.0)
}

impl Store {
    /// The last transfer sequence number written (0 when the ledger is empty).
    pub async fn last_transfer_seq(&self) -> Result<i64, StoreError> {
        let seq: i64 = with_pool!(self, pool => {
            sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM ledger_transfers")
                .fetch_one(pool)
                .await?
        });
        Ok(seq)
    }

    /// The agent's ledger account id and cached balance, creating the account (balance 0) on
    /// first use. Fails if the agent does not exist.
    pub async fn ensure_agent_ledger_account(
        &self,
        agent: AgentId,
        now_ms: i64,
    ) -> Result<(i64, i64), StoreError> {
        let row: (i64, i64) = with_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO ledger_accounts (kind, name, agent_id, balance_micros, created_at_ms) \
                 VALUES ('agent', $1, $2, 0, $3) ON CONFLICT (agent_id) DO NOTHING",
            )
            .bind(agent_account_name(agent))
            .bind(id_to_db(agent.0))
            .bind(now_ms)
            .execute(pool)
            .await?;
            sqlx::query_as("SELECT id, balance_micros FROM ledger_accounts WHERE agent_id = $1")
                .bind(id_to_db(agent.0))
                .fetch_one(pool)
                .await?
        });
        Ok(row)
    }

    /// The cached balance of any account.
    pub async fn ledger_account_balance(&self, account_id: i64) -> Result<i64, StoreError> {
        let balance: i64 = with_pool!(self, pool => {
            sqlx::query_scalar("SELECT balance_micros FROM ledger_accounts WHERE id = $1")
                .bind(account_id)
                .fetch_one(pool)
                .await?
        });
        Ok(balance)
    }

    /// The agent's ledger account id and cached balance, if it has had a transfer.
    pub async fn agent_ledger_account(
        &self,
        agent: AgentId,
    ) -> Result<Option<(i64, i64)>, StoreError> {
        let row: Option<(i64, i64)> = with_pool!(self, pool => {
            sqlx::query_as("SELECT id, balance_micros FROM ledger_accounts WHERE agent_id = $1")
                .bind(id_to_db(agent.0))
                .fetch_optional(pool)
                .await?
        });
        Ok(row)
    }

    /// The stored transfers among `transfer_ids`.
    pub async fn find_transfers(
        &self,
        transfer_ids: &[&str],
    ) -> Result<Vec<TransferRecord>, StoreError> {
        if transfer_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {TRANSFER_COLUMNS} {TRANSFER_JOINS} WHERE t.transfer_id IN {}",
            placeholders(self.backend(), 1, transfer_ids.len())
        );
        let rows: Vec<TransferRecord> = with_pool!(self, pool => {
            let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()));
            for id in transfer_ids {
                query = query.bind(*id);
            }
            query.fetch_all(pool).await?
        });
        Ok(rows)
    }

    /// The transfer ids that already used each of `external_refs`.
    pub async fn find_external_refs(
        &self,
        external_refs: &[&str],
    ) -> Result<Vec<(String, String)>, StoreError> {
        if external_refs.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT external_ref, transfer_id FROM ledger_transfers WHERE external_ref IN {}",
            placeholders(self.backend(), 1, external_refs.len())
        );
        let rows: Vec<(String, String)> = with_pool!(self, pool => {
            let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()));
            for reference in external_refs {
                query = query.bind(*reference);
            }
            query.fetch_all(pool).await?
        });
        Ok(rows)
    }

    /// What an actor has moved with rewards and penalties since `since_ms` (its daily budget's
    /// use).
    pub async fn budget_spent_since(
        &self,
        actor_account_id: u64,
        since_ms: i64,
    ) -> Result<i64, StoreError> {
        let spent: i64 = with_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT CAST(COALESCE(SUM(amount_micros), 0) AS BIGINT) FROM ledger_transfers \
                 WHERE actor_account_id = $1 AND at_ms >= $2 AND code IN ('reward', 'penalty')",
            )
            .bind(id_to_db(actor_account_id))
            .bind(since_ms)
            .fetch_one(pool)
            .await?
        });
        Ok(spent)
    }

    /// What every actor of `role` together has moved with rewards and penalties since
    /// `since_ms` (a role's shared daily pool).
    pub async fn role_budget_spent_since(
        &self,
        role: &str,
        since_ms: i64,
    ) -> Result<i64, StoreError> {
        let spent: i64 = with_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT CAST(COALESCE(SUM(amount_micros), 0) AS BIGINT) FROM ledger_transfers \
                 WHERE actor_role = $1 AND at_ms >= $2 AND code IN ('reward', 'penalty')",
            )
            .bind(role)
            .bind(since_ms)
            .fetch_one(pool)
            .await?
        });
        Ok(spent)
    }

    /// What every person's account made at or after `created_since_ms` together has moved
    /// with rewards and penalties since `since_ms` (the new accounts' shared daily pool).
    pub async fn new_accounts_budget_spent_since(
        &self,
        created_since_ms: i64,
        since_ms: i64,
    ) -> Result<i64, StoreError> {
        let spent: i64 = with_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT CAST(COALESCE(SUM(t.amount_micros), 0) AS BIGINT) \
                 FROM ledger_transfers t JOIN accounts a ON a.id = t.actor_account_id \
                 WHERE a.role = 'human' AND a.created_at_ms >= $1 AND t.at_ms >= $2 \
                 AND t.code IN ('reward', 'penalty')",
            )
            .bind(created_since_ms)
            .bind(since_ms)
            .fetch_one(pool)
            .await?
        });
        Ok(spent)
    }

    /// Every agent's cached balance (agents with no transfer yet are left out: they have 0).
    pub async fn list_agent_balances(&self) -> Result<Vec<(AgentId, i64)>, StoreError> {
        let rows: Vec<(i64, i64)> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT agent_id, balance_micros FROM ledger_accounts WHERE kind = 'agent'",
            )
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(agent, balance)| (AgentId(agent.unsigned_abs()), balance))
            .collect())
    }

    /// A page of the transfers touching `account_id`, newest first, older than `before_seq`.
    pub async fn list_account_transfers(
        &self,
        account_id: i64,
        before_seq: Option<i64>,
        limit: u32,
    ) -> Result<Vec<TransferRecord>, StoreError> {
        let sql = format!(
            "SELECT {TRANSFER_COLUMNS} FROM ledger_entries e \
             JOIN ledger_transfers t ON t.seq = e.transfer_seq \
             JOIN ledger_accounts d ON d.id = t.debit_account_id \
             JOIN ledger_accounts c ON c.id = t.credit_account_id \
             WHERE e.account_id = $1 AND ($2 IS NULL OR e.transfer_seq < $2) \
             ORDER BY e.transfer_seq DESC LIMIT $3"
        );
        let rows: Vec<TransferRecord> = with_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(account_id)
                .bind(before_seq)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
        });
        Ok(rows)
    }

    /// What an account paid out (its debits) since `since_ms`: its burn.
    pub async fn agent_debits_since(
        &self,
        account_id: i64,
        since_ms: i64,
    ) -> Result<i64, StoreError> {
        let spent: i64 = with_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT CAST(COALESCE(SUM(amount_micros), 0) AS BIGINT) FROM ledger_transfers \
                 WHERE debit_account_id = $1 AND at_ms >= $2",
            )
            .bind(account_id)
            .bind(since_ms)
            .fetch_one(pool)
            .await?
        });
        Ok(spent)
    }
}
