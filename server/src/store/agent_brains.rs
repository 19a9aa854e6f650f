//! Queries on an agent's brain (`agents.brain`): what decides its actions in its container.
//! A switch is written with its audit entry in one transaction.

use shared::AgentId;
use shared::runtime::AgentBrain;

use super::audit::AuditEntry;
use super::write_steps::WriteSteps;
use super::write_transaction::BeginWrite;
use super::{Store, StoreError, id_to_db, with_pool};

impl Store {
    /// The agent's brain; `None` for an unknown agent.
    pub async fn find_agent_brain(&self, agent: AgentId) -> Result<Option<AgentBrain>, StoreError> {
        let name: Option<String> = with_pool!(self, pool => {
            sqlx::query_scalar("SELECT brain FROM agents WHERE id = $1")
                .bind(id_to_db(agent.0))
                .fetch_optional(pool)
                .await?
        });
        name.map(|name| {
            AgentBrain::parse(&name)
                .ok_or_else(|| StoreError::Corrupt(format!("agent {agent}: bad brain {name:?}")))
        })
        .transpose()
    }

    /// Sets the agent's brain and writes `audit`, together; `false` (and nothing written) for
    /// an unknown agent.
    pub async fn save_agent_brain(
        &self,
        agent: AgentId,
        brain: AgentBrain,
        audit: &AuditEntry,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let changed = sqlx::query("UPDATE agents SET brain = $1, updated_at_ms = $2 WHERE id = $3")
                .bind(brain.as_str())
                .bind(now_ms)
                .bind(id_to_db(agent.0))
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if changed == 0 {
                return Ok(false);
            }
            WriteSteps::insert_audit(&mut *tx, audit, now_ms).await?;
            tx.commit().await?;
        });
        Ok(true)
    }
}
