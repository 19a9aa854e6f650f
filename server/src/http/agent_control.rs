//! The kill switch: `POST /admin/agents/{id}/control` (pause, resume, stop, kill, quarantine,
//! freeze, unfreeze, each with a reason) and `GET /admin/agents/{id}/control`. Admins only.
//! Each parses, calls `auth::agent_control` (which applies the change to the world, the store
//! and memory; here under the credential lock) and answers. The agent runtime reads the result
//! from `GET /runtime/agents` and brings the container to it on its next pass.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use shared::AgentId;
use utoipa::ToSchema;

use super::credential_change::credential_change;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath};
use crate::auth::Principal;
use crate::auth::agent_control::{ControlError, admin_order_applied};
use crate::kill_switch::ControlAction;
use crate::state::AppState;
use crate::store::AgentControl;

pub use crate::auth::agent_control::{AgentControlView, ControlOrder};

/// An admin's order.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ControlRequest {
    pub action: ControlAction,
    /// Why, for the audit log and the next admin: 1 to 500 characters once trimmed, no
    /// control characters.
    #[schema(
        min_length = 1,
        max_length = 500,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    pub reason: String,
}

/// Holds, releases, freezes or unfreezes an agent.
#[utoipa::path(post, path = "/admin/agents/{id}/control", tag = "admin",
    params(("id" = u64, Path, description = "Agent id")),
    request_body = ControlRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Done (again, if it already was)", body = AgentControlView),
        (status = 403, description = "Not an admin (`forbidden_role`)", body = ErrorBody),
        (status = 404, description = "No such agent (`unknown_agent`)", body = ErrorBody),
        (status = 409, description = "Quarantined: only resume releases it (`agent_quarantined`)", body = ErrorBody),
        (status = 422, description = "A bad reason (`invalid_field`)", body = ErrorBody),
        (status = 503, description = "The world did not answer in time (`world_unavailable`)", body = ErrorBody)))]
pub async fn control_agent(
    principal: Principal,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<u64>,
    ApiJson(request): ApiJson<ControlRequest>,
) -> Result<Json<AgentControlView>, ApiError> {
    let (agent, action) = (AgentId(id), request.action);
    let desk = state.control_desk();
    let order = desk
        .order_control(&principal, agent, action, &request.reason)
        .await?;
    let control = admin_order_applied(agent, action, apply_control(&state, order).await?)?;
    Ok(Json(desk.view(control).await?))
}

/// Applies `order` (see `ControlDesk::apply`) under the credential lock, on a task of its own.
pub(super) async fn apply_control(
    state: &AppState,
    order: ControlOrder,
) -> Result<Option<AgentControl>, ApiError> {
    credential_change(state, move |state| async move {
        Ok(state.control_desk().apply(order).await?)
    })
    .await
}

/// An agent's kill-switch state.
#[utoipa::path(get, path = "/admin/agents/{id}/control", tag = "admin",
    params(("id" = u64, Path, description = "Agent id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Its hold, freeze and status", body = AgentControlView),
        (status = 403, description = "Not an admin (`forbidden_role`)", body = ErrorBody),
        (status = 404, description = "No such agent (`unknown_agent`)", body = ErrorBody),
        (status = 503, description = "The world did not answer in time (`world_unavailable`)", body = ErrorBody)))]
pub async fn get_control(
    principal: Principal,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<u64>,
) -> Result<Json<AgentControlView>, ApiError> {
    let desk = state.control_desk();
    Ok(Json(desk.control_of(&principal, AgentId(id)).await?))
}

impl From<ControlError> for ApiError {
    fn from(error: ControlError) -> Self {
        let message = error.to_string();
        match error {
            ControlError::Access(error) => error.into(),
            ControlError::Field(error) => error.into(),
            ControlError::Board(error) => error.into(),
            ControlError::Quarantined(_) => Self::conflict("agent_quarantined", message),
            ControlError::NotApplied => Self::internal(message),
            ControlError::World(error) => error.into(),
            ControlError::Unavailable(error) => error.into(),
            ControlError::Store(error) => error.into(),
        }
    }
}
