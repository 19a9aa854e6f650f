//! What the server tells the agent runtime about each agent container (`GET /runtime/agents`):
//! shared so the server writes and the runtime reads the very same types.

use serde::{Deserialize, Serialize};

use crate::agent::AgentStatus;
use crate::ids::AgentId;
use crate::tier::Entitlements;

/// The state an agent's container should be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ContainerWant {
    /// Online or idle: the container runs.
    Running,
    /// Paused: the container exists, frozen.
    Paused,
    /// Quarantined or its token revoked: nothing of it runs.
    Stopped,
}

impl ContainerWant {
    /// From the agent's status and whether its account is revoked.
    pub fn of(status: AgentStatus, revoked: bool) -> ContainerWant {
        match status {
            _ if revoked => ContainerWant::Stopped,
            AgentStatus::Quarantined => ContainerWant::Stopped,
            AgentStatus::Paused => ContainerWant::Paused,
            AgentStatus::Online | AgentStatus::Idle => ContainerWant::Running,
        }
    }
}

/// One agent as the runtime should run it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RuntimeAgent {
    pub id: AgentId,
    pub account_id: u64,
    pub status: AgentStatus,
    pub want: ContainerWant,
    /// Whether the agent's token is revoked (then `want` is `stopped`).
    pub revoked: bool,
    /// The tier in force now (balance or a running boost).
    pub tier: String,
    /// What that tier grants: the container's CPU, memory, pids and GPU among them.
    pub entitlements: Entitlements,
}

/// Every agent the runtime runs, by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RuntimeAgents {
    pub agents: Vec<RuntimeAgent>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revocation_and_quarantine_stop_and_a_pause_pauses() {
        // Every status with and without a revoked token.
        use AgentStatus::*;
        for status in [Online, Idle, Paused, Quarantined] {
            assert_eq!(ContainerWant::of(status, true), ContainerWant::Stopped);
        }
        assert_eq!(ContainerWant::of(Online, false), ContainerWant::Running);
        assert_eq!(ContainerWant::of(Idle, false), ContainerWant::Running);
        assert_eq!(ContainerWant::of(Paused, false), ContainerWant::Paused);
        assert_eq!(
            ContainerWant::of(Quarantined, false),
            ContainerWant::Stopped
        );
    }
}
