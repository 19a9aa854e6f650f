//! An agent's tool calls: `POST /agents/{id}/tool-calls`, where the agent reports each call it
//! made in its container before it uses the result, and `GET /agents/{id}/tool-calls`, its
//! transcript, newest first, for the agent itself, moderators and admins. Each handler parses,
//! calls `crate::tool_calls` (the checks, the record and its audit entry) and answers; a
//! `ToolCallError` becomes its status and code here.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use shared::AgentId;
use shared::api::{ToolCallPage, ToolCallQuery};
use shared::tool_call::{ToolCallRecorded, ToolCallReport};

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery};
use crate::auth::Principal;
use crate::state::AppState;
use crate::tool_calls::ToolCallError;

pub use crate::tool_calls::TOOL_CALL_PAGE_MAX;

impl From<ToolCallError> for ApiError {
    fn from(error: ToolCallError) -> Self {
        let message = error.to_string();
        match error {
            ToolCallError::Access(error) => error.into(),
            ToolCallError::InvalidField(_) => ApiError::unprocessable("invalid_field", message),
            ToolCallError::CallIdReused(_) => ApiError::conflict("call_id_reused", message),
            ToolCallError::ToolsNotAllowed(_) => ApiError::forbidden("tools_not_allowed", message),
            ToolCallError::Board(error) => error.into(),
            ToolCallError::Store(error) => error.into(),
        }
    }
}

/// Records one tool call of the agent.
#[utoipa::path(post, path = "/agents/{id}/tool-calls", tag = "agents",
    params(("id" = u64, Path, description = "Agent id")),
    request_body = ToolCallReport,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Recorded", body = ToolCallRecorded),
        (status = 200, description = "Already recorded (a retry)", body = ToolCallRecorded),
        (status = 403, description = "Not an agent (`forbidden_role`), not this agent (`not_your_agent`), or its tier allows no tools (`tools_not_allowed`: the call is still recorded)", body = ErrorBody),
        (status = 409, description = "The call id was reported for another call (`call_id_reused`)", body = ErrorBody),
        (status = 422, description = "A field is empty, too long or malformed (`invalid_field`)", body = ErrorBody)))]
pub async fn report_tool_call(
    principal: Principal,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<u64>,
    ApiJson(report): ApiJson<ToolCallReport>,
) -> Result<(StatusCode, Json<ToolCallRecorded>), ApiError> {
    let recorded = state
        .transcripts()
        .record(&principal, AgentId(id), &report)
        .await?;
    let status = if recorded.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(recorded)))
}

/// An agent's tool calls, newest first: for the agent itself, moderators and admins.
#[utoipa::path(get, path = "/agents/{id}/tool-calls", tag = "agents",
    params(("id" = u64, Path, description = "Agent id"), ToolCallQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of tool calls", body = ToolCallPage),
        (status = 403, description = "Not this agent or staff (`not_your_agent`)", body = ErrorBody),
        (status = 404, description = "No such agent (`unknown_agent`)", body = ErrorBody),
        (status = 503, description = "The world did not answer in time (`world_unavailable`)", body = ErrorBody)))]
pub async fn list_tool_calls(
    principal: Principal,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<u64>,
    ApiQuery(query): ApiQuery<ToolCallQuery>,
) -> Result<Json<ToolCallPage>, ApiError> {
    let transcripts = state.transcripts();
    Ok(Json(
        transcripts.page(&principal, AgentId(id), query).await?,
    ))
}
