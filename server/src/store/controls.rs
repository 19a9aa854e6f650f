//! Queries on `agent_controls`, one function per query: the kill switch's holds (pause, stop,
//! kill, quarantine) and compute freezes. A change is written in one transaction with the
//! agent's status, its token's replacement (a quarantine) and the audit entry, so a restart
//! can never undo a hold that was acknowledged.

use shared::AgentId;
use shared::runtime::Hold;

use super::audit::AuditEntry;
use super::write_steps::WriteSteps;
use super::write_transaction::BeginWrite;
use super::{Store, StoreError, id_from_db, id_to_db, with_pool};

/// An agent's kill-switch state as stored. An agent without a row has no hold and is not
/// frozen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentControl {
    pub agent: AgentId,
    pub hold: Option<Hold>,
    /// Compute frozen at the first tier, whatever the balance or boosts.
    pub frozen: bool,
    /// Why the last change was made, as the admin wrote it.
    pub reason: String,
    /// The account that made the last change.
    pub updated_by: Option<u64>,
    pub updated_at_ms: i64,
}

impl AgentControl {
    /// No hold, not frozen: how an agent without a row stands.
    pub fn released(agent: AgentId) -> AgentControl {
        AgentControl {
            agent,
            hold: None,
            frozen: false,
            reason: String::new(),
            updated_by: None,
            updated_at_ms: 0,
        }
    }
}

#[derive(sqlx::FromRow)]
struct ControlRow {
    agent_id: i64,
    hold: Option<String>,
    frozen: i64,
    reason: String,
    updated_by: Option<i64>,
    updated_at_ms: i64,
}

const CONTROL_COLUMNS: &str = "agent_id, hold, frozen, reason, updated_by, updated_at_ms";

impl ControlRow {
    fn into_control(self) -> Result<AgentControl, StoreError> {
        let hold = match self.hold.as_deref() {
            None => None,
            Some(name) => Some(Hold::parse(name).ok_or_else(|| {
                StoreError::Corrupt(format!("agent {}: bad hold {name:?}", self.agent_id))
            })?),
        };
        Ok(AgentControl {
            agent: AgentId(id_from_db(self.agent_id, "agent")?),
            hold,
            frozen: self.frozen != 0,
            reason: self.reason,
            updated_by: self
                .updated_by
                .map(|id| id_from_db(id, "account"))
                .transpose()?,
            updated_at_ms: self.updated_at_ms,
        })
    }
}

impl Store {
    /// The agent's kill-switch state (released when it never had one).
    pub async fn find_agent_control(&self, agent: AgentId) -> Result<AgentControl, StoreError> {
        let sql = format!("SELECT {CONTROL_COLUMNS} FROM agent_controls WHERE agent_id = $1");
        let row: Option<ControlRow> = with_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id_to_db(agent.0))
                .fetch_optional(pool)
                .await?
        });
        match row {
            Some(row) => row.into_control(),
            None => Ok(AgentControl::released(agent)),
        }
    }

    /// Every agent that has a row (held, frozen, or released after either), by agent id.
    pub async fn list_agent_controls(&self) -> Result<Vec<AgentControl>, StoreError> {
        let sql = format!("SELECT {CONTROL_COLUMNS} FROM agent_controls ORDER BY agent_id");
        let rows: Vec<ControlRow> = with_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await?
        });
        rows.into_iter().map(ControlRow::into_control).collect()
    }

    /// Writes `control` with the agent's status in the world (`status`), a replacement token
    /// hash when the agent's token must stop working (`new_token_hash`, for a quarantine), and
    /// the audit entry, in one transaction. An unknown agent is a foreign-key violation.
    pub async fn save_agent_control(
        &self,
        control: &AgentControl,
        status: shared::AgentStatus,
        new_token_hash: Option<&str>,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let agent = id_to_db(control.agent.0);
        let now_ms = control.updated_at_ms;
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "INSERT INTO agent_controls (agent_id, hold, frozen, reason, updated_by, \
                 updated_at_ms) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (agent_id) DO UPDATE SET hold = excluded.hold, \
                 frozen = excluded.frozen, reason = excluded.reason, \
                 updated_by = excluded.updated_by, updated_at_ms = excluded.updated_at_ms",
            )
            .bind(agent)
            .bind(control.hold.map(Hold::as_str))
            .bind(i64::from(control.frozen))
            .bind(&control.reason)
            .bind(control.updated_by.map(id_to_db))
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE agents SET status = $1, updated_at_ms = $2 WHERE id = $3")
                .bind(status.as_str())
                .bind(now_ms)
                .bind(agent)
                .execute(&mut *tx)
                .await?;
            if let Some(hash) = new_token_hash {
                sqlx::query(
                    "UPDATE accounts SET token_hash = $1, updated_at_ms = $2 WHERE agent_id = $3",
                )
                .bind(hash)
                .bind(now_ms)
                .bind(agent)
                .execute(&mut *tx)
                .await?;
            }
            WriteSteps::insert_audit(&mut *tx, audit, now_ms).await?;
            tx.commit().await?;
        });
        Ok(())
    }
}
