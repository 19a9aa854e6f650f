//! An admin switches what decides an agent's actions in its container (`scripted` rules or the
//! `llm` brain through the gateway). The switch is stored with its audit entry; the agent
//! runtime is woken and replaces the agent's container (its workspace, with its memory, is
//! kept), since a container's brain is fixed when it is made. Nothing here knows a transport.

use shared::AgentId;
use shared::runtime::AgentBrain;

use super::agents_admin::{AgentAdminError, AgentDesk};
use super::{Principal, Role};
use crate::board::rules;
use crate::clock::now_ms;
use crate::world::WorldError;

impl AgentDesk<'_> {
    /// Sets `agent`'s brain for admin `principal`; answers the brain it had. Switching to the
    /// brain it has changes nothing and is not audited.
    pub async fn switch_brain(
        &self,
        principal: &Principal,
        agent: AgentId,
        brain: AgentBrain,
    ) -> Result<AgentBrain, AgentAdminError> {
        principal.require(&[Role::Admin])?;
        rules::agent_exists(self.world, agent).await?;
        let Some(before) = self.store.find_agent_brain(agent).await? else {
            return Err(unknown(agent));
        };
        if before == brain {
            return Ok(before);
        }
        let audit = principal.audit(
            "admin.agent_brain",
            format!("agent:{agent}"),
            "ok",
            format!("{} -> {}", before.as_str(), brain.as_str()),
        );
        if !self
            .store
            .save_agent_brain(agent, brain, &audit, now_ms())
            .await?
        {
            return Err(unknown(agent));
        }
        self.runtime_changes.bump();
        Ok(before)
    }
}

/// An agent the world knows but the store does not (deleted meanwhile).
fn unknown(agent: AgentId) -> AgentAdminError {
    AgentAdminError::World(WorldError::UnknownAgent(agent))
}
