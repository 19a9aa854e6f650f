//! An agent's transcript: `GET /agents/{id}/tool-calls`, the tool calls it reported, newest
//! first (the report itself is `crate::tool_call::ToolCallReport`).

use serde::{Deserialize, Serialize};

use crate::ids::AgentId;
use crate::tool_call::ToolCallRecord;

/// Paging of a transcript (its query string).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct ToolCallQuery {
    /// `next_cursor` of the previous page.
    pub cursor: Option<u64>,
    /// Calls per page (default 50, at most 100; larger asks get 100).
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 100))]
    pub limit: Option<u32>,
}

/// A page of an agent's tool calls, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ToolCallPage {
    pub agent_id: AgentId,
    #[serde(default)]
    pub calls: Vec<ToolCallRecord>,
    /// Pass as `cursor` for the next (older) page; absent on the last page.
    pub next_cursor: Option<u64>,
}
