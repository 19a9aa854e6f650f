//! Writes on agents: `POST /agents/{id}/move`, `POST /agents/{id}/action`. Only the agent
//! itself (or an admin) may make them. Each checks the request's shape here and leaves the
//! rules of the world to the world. What an action shows people (a line of speech, a work
//! detail) passes the compliance guard first: a refused one reaches no one and changes
//! nothing, not even the talk cooldown.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use shared::AgentId;
use shared::api::{
    Action, ActionError, ActionFields, ActionOutcome, MoveFields, MovePlan, MoveRequest,
    MoveShapeError,
};

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath};
use crate::auth::Principal;
use crate::board::screen::screen_shown;
use crate::state::AppState;

/// Starts a walk. A target one tile away is one step at the next tick; a farther one is walked
/// tick by tick along an A* path.
#[utoipa::path(post, path = "/agents/{id}/move", tag = "agents", request_body = MoveRequest,
    params(("id" = u64, Path, description = "Agent id")),
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Walking", body = MovePlan),
        (status = 403, description = "Not this agent (`not_your_agent`)", body = ErrorBody),
        (status = 404, description = "No such agent (`unknown_agent`)", body = ErrorBody),
        (status = 409, description = "The agent may not act now (`agent_not_active`), or the landmark is full (`landmark_full`, with `Retry-After`)", body = ErrorBody),
        (status = 422, description = "Not exactly one target (`invalid_move`), off the map (`out_of_bounds`), a wall (`not_walkable`), an unknown landmark (`unknown_landmark`) or no path (`unreachable`)", body = ErrorBody),
        (status = 503, description = "The world did not answer in time (`world_unavailable`)", body = ErrorBody)))]
pub async fn move_agent(
    principal: Principal,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<u64>,
    ApiJson(fields): ApiJson<MoveFields>,
) -> Result<(StatusCode, Json<MovePlan>), ApiError> {
    let id = AgentId(id);
    principal.require_agent(id)?;
    let target = MoveRequest::try_from(fields)?;
    let plan = state
        .world
        .call(move |world, now| world.request_move(id, target, now))
        .await??;
    Ok((StatusCode::ACCEPTED, Json(plan)))
}

/// Performs an action where the agent stands.
#[utoipa::path(post, path = "/agents/{id}/action", tag = "agents", request_body = Action,
    params(("id" = u64, Path, description = "Agent id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Done", body = ActionOutcome),
        (status = 403, description = "Not this agent (`not_your_agent`)", body = ErrorBody),
        (status = 404, description = "No such agent (`unknown_agent`)", body = ErrorBody),
        (status = 409, description = "Not at the right landmark (`wrong_place`), or the agent may not act now (`agent_not_active`)", body = ErrorBody),
        (status = 422, description = "Unknown action (`unknown_action`), fields that do not fit it (`invalid_action`), empty or too long speech or detail (`invalid_input`), or speech or a detail refused by the compliance guard (`compliance_blocked`)", body = ErrorBody),
        (status = 429, description = "Talking within the cooldown (`talk_rate_limited`, with `Retry-After`)", body = ErrorBody),
        (status = 503, description = "The world did not answer in time (`world_unavailable`)", body = ErrorBody)))]
pub async fn act(
    principal: Principal,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<u64>,
    ApiJson(fields): ApiJson<ActionFields>,
) -> Result<Json<ActionOutcome>, ApiError> {
    let id = AgentId(id);
    principal.require_agent(id)?;
    let action = Action::try_from(fields)?;
    let shown = match &action {
        Action::Talk { text } => Some(("text", "agent.talk", text.as_str())),
        Action::Work {
            detail: Some(detail),
        } => Some(("detail", "agent.work", detail.as_str())),
        _ => None,
    };
    if let Some((field, name, text)) = shown {
        let refusal = principal.audit(name, format!("agent:{id}"), "denied", String::new());
        screen_shown(state.screener(), &[(field, text)], refusal).await?;
    }
    let outcome = state
        .world
        .call(move |world, now| world.act(id, action, now))
        .await??;
    Ok(Json(outcome))
}

impl From<MoveShapeError> for ApiError {
    fn from(error: MoveShapeError) -> Self {
        ApiError::unprocessable("invalid_move", error.to_string())
    }
}

impl From<ActionError> for ApiError {
    fn from(error: ActionError) -> Self {
        let code = match error {
            ActionError::Unknown(_) => "unknown_action",
            ActionError::DoesNotFit(_) => "invalid_action",
        };
        ApiError::unprocessable(code, error.to_string())
    }
}
