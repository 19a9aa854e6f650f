//! Writes on agents: `POST /agents`, `POST /agents/{id}/move`, `POST /agents/{id}/action`.
//! Each checks the request's shape here and leaves the rules of the world to the world.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use shared::{AgentId, AgentView};
use utoipa::ToSchema;

use super::dev_auth::DevWriter;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath};
use crate::state::AppState;
use crate::store::NewAgent;
use crate::world::{
    ACTION_NAMES, Action, ActionOutcome, MovePlan, MoveTarget, WorldError, WorldUnavailable,
    checked_text, now_ms,
};

/// Longest display name, in characters.
pub const DISPLAY_NAME_CHARS_MAX: usize = 64;
/// Longest persona, in characters.
pub const PERSONA_CHARS_MAX: usize = 2000;

/// A new agent.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAgentRequest {
    pub display_name: String,
    pub persona: Option<String>,
    /// A landmark key of kind `home`; the agent appears there.
    pub home: Option<String>,
}

/// Creates an agent. It is stored before this answers, then placed in the world.
#[utoipa::path(post, path = "/agents", tag = "agents", request_body = CreateAgentRequest,
    security(("dev_token" = [])),
    responses(
        (status = 201, description = "Created", body = AgentView),
        (status = 409, description = "Name taken", body = ErrorBody),
        (status = 422, description = "Invalid field", body = ErrorBody)))]
pub async fn create_agent(
    _writer: DevWriter,
    State(state): State<AppState>,
    ApiJson(request): ApiJson<CreateAgentRequest>,
) -> Result<(StatusCode, Json<AgentView>), ApiError> {
    let invalid_field = |e: WorldError| ApiError::unprocessable("invalid_field", e.to_string());
    let display_name = checked_text(
        "display_name",
        &request.display_name,
        DISPLAY_NAME_CHARS_MAX,
    )
    .map_err(invalid_field)?;
    // A persona is optional: empty means none.
    let persona = match request.persona.as_deref().map(str::trim) {
        None | Some("") => String::new(),
        Some(persona) => {
            checked_text("persona", persona, PERSONA_CHARS_MAX).map_err(invalid_field)?
        }
    };
    if let Some(home) = &request.home {
        match state.map.landmark(home) {
            Some(l) if l.kind == "home" => {}
            _ => {
                let homes: Vec<&str> = state
                    .map
                    .landmarks()
                    .iter()
                    .filter(|l| l.kind == "home")
                    .map(|l| l.key.as_str())
                    .collect();
                return Err(ApiError::unprocessable(
                    "unknown_home",
                    format!(
                        "{home:?} is not a home landmark; homes: {}",
                        homes.join(", ")
                    ),
                ));
            }
        }
    }
    let new = NewAgent {
        display_name,
        persona,
        home: request.home,
        profile: serde_json::json!({}),
    };
    // Store and place in a task of its own: if this request is cancelled (timeout, client gone)
    // the two steps still finish together.
    let view = tokio::spawn(store_and_spawn(state, new))
        .await
        .map_err(ApiError::internal)??;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Writes the agent, then places it in the world; undoes the write when the world refused it
/// or never got the command, so a failure changes nothing.
async fn store_and_spawn(state: AppState, new: NewAgent) -> Result<AgentView, ApiError> {
    let record = state.store.insert_agent(&new, now_ms()).await?;
    let id = record.view.id;
    let undo = |why: ApiError| async move {
        if let Err(error) = state.store.delete_agent(id).await {
            tracing::error!(%error, %id, "could not undo an agent the world refused");
        }
        why
    };
    match state.world.call(move |world, _| world.spawn(record)).await {
        Ok(Ok(view)) => Ok(view),
        Ok(Err(refused)) => Err(undo(refused.into()).await),
        Err(WorldUnavailable::Busy) => Err(undo(WorldUnavailable::Busy.into()).await),
        // Queued (it will be placed) or the server is stopping (it is placed at the next start):
        // the agent exists, but it is not placed yet.
        Err(unavailable) => Err(unavailable.into()),
    }
}

/// A move: exactly one of `{dx, dy}`, `{x, y}` or `{landmark}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveRequest {
    pub dx: Option<i64>,
    pub dy: Option<i64>,
    pub x: Option<i64>,
    pub y: Option<i64>,
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
    security(("dev_token" = [])),
    responses(
        (status = 202, description = "Walking", body = MovePlan),
        (status = 404, description = "No such agent", body = ErrorBody),
        (status = 422, description = "Off the map, a wall, unknown landmark or unreachable", body = ErrorBody)))]
pub async fn move_agent(
    _writer: DevWriter,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<u64>,
    ApiJson(request): ApiJson<MoveRequest>,
) -> Result<(StatusCode, Json<MovePlan>), ApiError> {
    let target = request.target()?;
    let id = AgentId(id);
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
    pub action: String,
    /// What to say (`talk` only).
    pub text: Option<String>,
    /// What the work is (`work` only, optional).
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
    security(("dev_token" = [])),
    responses(
        (status = 200, description = "Done", body = ActionOutcome),
        (status = 404, description = "No such agent", body = ErrorBody),
        (status = 409, description = "Not at the right landmark", body = ErrorBody),
        (status = 422, description = "Unknown action or invalid field", body = ErrorBody),
        (status = 429, description = "Talking too often", body = ErrorBody)))]
pub async fn act(
    _writer: DevWriter,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<u64>,
    ApiJson(request): ApiJson<ActionRequest>,
) -> Result<Json<ActionOutcome>, ApiError> {
    let action = request.into_action()?;
    let id = AgentId(id);
    let outcome = state
        .world
        .call(move |world, now| world.act(id, action, now))
        .await??;
    Ok(Json(outcome))
}
