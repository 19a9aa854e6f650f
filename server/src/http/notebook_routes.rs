//! An agent's notebook: `PUT /agents/me/notebook`, where the agent publishes its task memory
//! (only its own: the path names no agent), and `GET /agents/{id}/notebook`, the last one it
//! published, for the agent itself, moderators and admins. Each handler parses, calls
//! `crate::notebooks` and answers; a `NotebookRefusal` becomes its status and code here.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use shared::AgentId;
use shared::api::AgentNotebook;

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath};
use crate::auth::Principal;
use crate::notebooks::NotebookRefusal;
use crate::state::AppState;

impl From<NotebookRefusal> for ApiError {
    fn from(refusal: NotebookRefusal) -> Self {
        let message = refusal.to_string();
        match refusal {
            NotebookRefusal::Access(error) => error.into(),
            NotebookRefusal::TooLong(_) => ApiError::unprocessable("invalid_field", message),
            NotebookRefusal::NotPublished(_) => ApiError::not_found("no_notebook", message),
            NotebookRefusal::Board(error) => error.into(),
            NotebookRefusal::Store(error) => error.into(),
        }
    }
}

/// Publishes the calling agent's notebook, replacing the one it published before.
#[utoipa::path(put, path = "/agents/me/notebook", tag = "agents",
    request_body = AgentNotebook,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Stored; it replaces the agent's previous notebook"),
        (status = 403, description = "Not an agent (`forbidden_role`)", body = ErrorBody),
        (status = 404, description = "The token's agent no longer exists (`unknown_agent`)", body = ErrorBody),
        (status = 422, description = "Past a limit of the notebook: too many tasks or work lines, or a text too long (`invalid_field`, naming it); the stored notebook is kept", body = ErrorBody)))]
pub async fn publish_notebook(
    principal: Principal,
    State(state): State<AppState>,
    ApiJson(notebook): ApiJson<AgentNotebook>,
) -> Result<StatusCode, ApiError> {
    state.notebooks().publish(&principal, &notebook).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The notebook an agent last published: for the agent itself, moderators and admins.
#[utoipa::path(get, path = "/agents/{id}/notebook", tag = "agents",
    params(("id" = u64, Path, description = "Agent id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The notebook as the agent last published it", body = AgentNotebook),
        (status = 403, description = "Not this agent or staff (`not_your_agent`)", body = ErrorBody),
        (status = 404, description = "No such agent (`unknown_agent`), or it has not published a notebook (`no_notebook`)", body = ErrorBody),
        (status = 503, description = "The world did not answer in time (`world_unavailable`)", body = ErrorBody)))]
pub async fn get_notebook(
    principal: Principal,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<u64>,
) -> Result<Json<AgentNotebook>, ApiError> {
    let published = state.notebooks().read(&principal, AgentId(id)).await?;
    Ok(Json(published.notebook))
}
