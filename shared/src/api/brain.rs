//! Switching an agent's brain (`PUT /admin/agents/{id}/brain`): what an admin sends and what
//! the server answers.

use serde::{Deserialize, Serialize};

use crate::ids::AgentId;
use crate::runtime::AgentBrain;

/// The brain an agent should decide with from its next container on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BrainRequest {
    pub brain: AgentBrain,
}

/// The switch as made: the agent's brain now and before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BrainSwitched {
    pub agent_id: AgentId,
    pub brain: AgentBrain,
    pub previous: AgentBrain,
}
