//! Writes on agents: `POST /agents/{id}/move`, `POST /agents/{id}/action`. Only the agent
//! itself (or an admin) may make them. Each checks the request's shape here and leaves the
//! rules of the world to the world. What an action shows people (a line of speech, a work
//! detail) passes the compliance guard first: a refused one reaches no one and changes
//! nothing, not even the talk cooldown.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use shared::AgentId;
use utoipa::ToSchema;

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath};
use crate::auth::Principal;
use crate::board::screen::screen_shown;
use crate::state::AppState;
use crate::world::{ACTION_NAMES, Action, ActionOutcome, MovePlan, MoveTarget};

/// A move: exactly one of `{dx, dy}`, `{x, y}` or `{landmark}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveRequest {
    /// Tiles to the east (negative: west), with `dy`.
    pub dx: Option<i64>,
    /// Tiles to the south (negative: north), with `dx`.
    pub dy: Option<i64>,
    /// A tile's column, with `y`.
    pub x: Option<i64>,
    /// A tile's row, with `x`.
    pub y: Option<i64>,
    /// A landmark's key (see `GET /world`), alone.
    pub landmark: Option<String>,
}

impl MoveRequest {
    fn target(self) -> Result<MoveTarget, ApiError> {
        let shape = |m: &str| ApiError::unprocessable("invalid_move", m.to_string());
        match self {
            MoveRequest {
                dx: Some(dx),
                dy: Some(dy),
                x: None,
                y: None,
                landmark: None,
            } => Ok(MoveTarget::Offset { dx, dy }),
            MoveRequest {
                dx: None,
                dy: None,
                x: Some(x),
                y: Some(y),
                landmark: None,
            } => Ok(MoveTarget::Tile { x, y }),
            MoveRequest {
                dx: None,
                dy: None,
                x: None,
                y: None,
                landmark: Some(key),
            } => Ok(MoveTarget::Landmark(key)),
            _ => Err(shape(
                "give exactly one of {\"dx\",\"dy\"}, {\"x\",\"y\"} or {\"landmark\"}",
            )),
        }
    }
}

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
    ApiJson(request): ApiJson<MoveRequest>,
) -> Result<(StatusCode, Json<MovePlan>), ApiError> {
    let id = AgentId(id);
    principal.require_agent(id)?;
    let target = request.target()?;
    let plan = state
        .world
        .call(move |world, now| world.request_move(id, target, now))
        .await??;
    Ok((StatusCode::ACCEPTED, Json(plan)))
}

/// An action: `{"action": "talk", "text": ...}`, `{"action": "use_board"}`,
/// `{"action": "work", "detail": ...}` or `{"action": "idle"}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionRequest {
    /// `talk`, `use_board`, `work` or `idle`.
    #[schema(pattern = "^(talk|use_board|work|idle)$")]
    pub action: String,
    /// What to say (`talk` only): 1 to `limits.speech_chars_max` characters once trimmed
    /// (default 280; configurable), no control characters.
    #[schema(
        min_length = 1,
        max_length = 280,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    pub text: Option<String>,
    /// What the work is (`work` only, optional): 1 to `limits.activity_detail_chars_max`
    /// characters once trimmed (default 120; configurable), no control characters.
    #[schema(
        min_length = 1,
        max_length = 120,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    pub detail: Option<String>,
}

impl ActionRequest {
    fn into_action(self) -> Result<Action, ApiError> {
        let extra = |field: &str, action: &str| {
            ApiError::unprocessable(
                "invalid_action",
                format!("{field:?} does not go with {action:?}"),
            )
        };
        match self.action.as_str() {
            "talk" => {
                if self.detail.is_some() {
                    return Err(extra("detail", "talk"));
                }
                let text = self.text.ok_or_else(|| {
                    ApiError::unprocessable("invalid_action", "talk needs \"text\"")
                })?;
                Ok(Action::Talk { text })
            }
            "work" => match self.text {
                Some(_) => Err(extra("text", "work")),
                None => Ok(Action::Work {
                    detail: self.detail,
                }),
            },
            name @ ("use_board" | "idle") => {
                if self.text.is_some() {
                    return Err(extra("text", name));
                }
                if self.detail.is_some() {
                    return Err(extra("detail", name));
                }
                Ok(if name == "idle" {
                    Action::Idle
                } else {
                    Action::UseBoard
                })
            }
            other => Err(ApiError::unprocessable(
                "unknown_action",
                format!(
                    "unknown action {other:?}; known actions: {}",
                    ACTION_NAMES.join(", ")
                ),
            )),
        }
    }
}

/// Performs an action where the agent stands.
#[utoipa::path(post, path = "/agents/{id}/action", tag = "agents", request_body = ActionRequest,
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
    ApiJson(request): ApiJson<ActionRequest>,
) -> Result<Json<ActionOutcome>, ApiError> {
    let id = AgentId(id);
    principal.require_agent(id)?;
    let action = request.into_action()?;
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
