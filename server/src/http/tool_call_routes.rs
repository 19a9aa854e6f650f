//! An agent's tool calls: `POST /agents/{id}/tool-calls`, where the agent reports each call it
//! made in its container (command, working directory, outcome, exit code, duration, the start
//! of the output) before it uses the result; and `GET /agents/{id}/tool-calls`, its transcript,
//! newest first, for the agent itself, moderators and admins.
//!
//! A report is checked whole (422 naming the field, nothing stored) and stored with an
//! `agent.tool_call` audit entry in one transaction before the answer. When the agent's tier
//! allows no tools the call, which has run, is still recorded, its audit entry `denied`, and
//! the agent gets 403. A retried report of the same call answers the first record
//! (`replayed`); the same call id with another call is 409. The server never runs anything.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use shared::AgentId;
use shared::tool_call::{
    TOOL_CALL_ID_CHARS_MAX, TOOL_CWD_CHARS_MAX, TOOL_DURATION_MS_MAX, TOOL_INPUT_CHARS_MAX,
    TOOL_OUTPUT_CHARS_MAX, ToolCallRecord, ToolCallRecorded, ToolCallReport, clip_chars,
    valid_call_id,
};
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery};
use crate::paging::next_cursor;
use crate::auth::{Principal, Role};
use crate::board::rules;
use crate::clock::now_ms;
use crate::state::AppState;

/// Calls per transcript page, at most.
pub const TOOL_CALL_PAGE_MAX: u32 = 100;
/// Characters of the input quoted in the audit entry's detail.
const AUDIT_INPUT_CHARS_MAX: usize = 200;

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
    let agent = AgentId(id);
    principal.require(&[Role::Agent])?;
    principal.require_agent(agent)?;
    check_report(&report)?;
    let now = now_ms();
    // The call has run already: it is recorded whatever the tier says, and a tier that
    // allows no tools marks it denied in the audit and refuses the agent its result.
    let tier = state.tiers.get(state.tier_book.tier(agent, now));
    let allowed = tier.entitlements.concurrent_tool_runs > 0;
    let detail = format!(
        "{} {}: {} exit {} in {} ms, {} output bytes: {}",
        report.tool.as_str(),
        report.call_id,
        report.outcome.as_str(),
        report.exit_code.map_or("-".to_string(), |c| c.to_string()),
        report.duration_ms,
        report.output_bytes,
        clip_chars(&report.input, AUDIT_INPUT_CHARS_MAX),
    );
    let outcome = if allowed { "ok" } else { "denied" };
    let audit = principal.audit("agent.tool_call", format!("agent:{id}"), outcome, detail);
    let (call, replayed) = state
        .store
        .record_tool_call(agent, &report, &audit, now)
        .await
        .map_err(|error| match error {
            crate::store::StoreError::Conflict(message) => {
                ApiError::conflict("call_id_reused", message)
            }
            other => other.into(),
        })?;
    if !allowed {
        return Err(ApiError::forbidden(
            "tools_not_allowed",
            format!(
                "the tier {} allows no tool runs (the call is recorded as denied)",
                tier.name
            ),
        ));
    }
    let status = if replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(ToolCallRecorded { id: call, replayed })))
}

/// 422 naming the first field that breaks a limit.
fn check_report(report: &ToolCallReport) -> Result<(), ApiError> {
    let invalid = |message: String| ApiError::unprocessable("invalid_field", message);
    if !valid_call_id(&report.call_id) {
        return Err(invalid(format!(
            "call_id must be 1 to {TOOL_CALL_ID_CHARS_MAX} of letters, digits and _.:-"
        )));
    }
    let fields = [
        ("input", &report.input, TOOL_INPUT_CHARS_MAX, true),
        ("cwd", &report.cwd, TOOL_CWD_CHARS_MAX, false),
        ("output", &report.output, TOOL_OUTPUT_CHARS_MAX, false),
    ];
    for (name, text, max, required) in fields {
        let chars = text.chars().count();
        if required && text.trim().is_empty() {
            return Err(invalid(format!("{name} must not be empty")));
        }
        if chars > max {
            return Err(invalid(format!(
                "{name} is {chars} characters; at most {max} are allowed"
            )));
        }
        // Neither database keeps a NUL in text; the agent replaces them before reporting.
        if text.contains('\0') {
            return Err(invalid(format!("{name} must not contain NUL characters")));
        }
    }
    if report.duration_ms > TOOL_DURATION_MS_MAX {
        return Err(invalid(format!(
            "duration_ms is {}; at most {TOOL_DURATION_MS_MAX} is allowed",
            report.duration_ms
        )));
    }
    Ok(())
}

/// Paging of a transcript.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ToolCallParams {
    /// `next_cursor` of the previous page.
    pub cursor: Option<u64>,
    /// Calls per page (default 50, at most 100; larger asks get 100).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

/// A page of an agent's tool calls, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ToolCallPage {
    pub agent_id: AgentId,
    pub calls: Vec<ToolCallRecord>,
    /// Pass as `cursor` for the next (older) page; absent on the last page.
    pub next_cursor: Option<u64>,
}

/// An agent's tool calls, newest first: for the agent itself, moderators and admins.
#[utoipa::path(get, path = "/agents/{id}/tool-calls", tag = "agents",
    params(("id" = u64, Path, description = "Agent id"), ToolCallParams),
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
    ApiQuery(params): ApiQuery<ToolCallParams>,
) -> Result<Json<ToolCallPage>, ApiError> {
    let agent = AgentId(id);
    if principal.role != Role::Moderator {
        principal.require_agent(agent)?;
    }
    rules::agent_exists(&state.world, agent).await?;
    let limit = params.limit.unwrap_or(50).clamp(1, TOOL_CALL_PAGE_MAX);
    let calls = state
        .store
        .list_tool_calls(agent, params.cursor, limit)
        .await?;
    let next_cursor = next_cursor(&calls, limit, |c| c.id);
    Ok(Json(ToolCallPage {
        agent_id: agent,
        calls,
        next_cursor,
    }))
}
