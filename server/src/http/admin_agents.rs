//! `POST /admin/agents` (create an agent and issue its token, shown once),
//! `POST /admin/agents/{id}/token`, `POST /admin/agents/{id}/revoke` and
//! `PUT /admin/agents/{id}/brain`: each parses, calls
//! `auth::agents_admin` (the commits under the credential lock) and answers. Admins only;
//! every call is audited.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use shared::api::{AgentToken, BrainRequest, BrainSwitched};
use shared::{AgentId, AgentView};
use utoipa::ToSchema;

use super::credential_change::credential_change;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath};
use crate::auth::Principal;
use crate::auth::agents_admin::{AgentAdminError, AgentDraft, TokenOrder};
use crate::state::AppState;

pub use crate::auth::agents_admin::{DISPLAY_NAME_CHARS_MAX, PERSONA_CHARS_MAX};

/// A new agent.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAgentRequest {
    /// 1 to 64 characters once trimmed; no control, invisible, zero-width or
    /// direction-changing characters, and no space but U+0020.
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    pub display_name: String,
    /// Up to 2000 characters once trimmed, no control characters; empty means none.
    #[schema(max_length = 2000, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    pub persona: Option<String>,
    /// A landmark key of kind `home`; the agent appears there.
    pub home: Option<String>,
    /// What decides its actions in its container: `llm` (the default: the model the gateway
    /// serves its tier, the scripted rules whenever none answers) or `scripted`.
    pub brain: Option<shared::runtime::AgentBrain>,
}

/// The new agent and its token. The token is shown only here; the server keeps its hash.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentCreated {
    pub agent_id: AgentId,
    /// `Authorization: Bearer <token>` acts as this agent, and only as it.
    pub token: String,
    pub agent: AgentView,
}

/// The revoked agent.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentRevoked {
    pub agent_id: AgentId,
    pub revoked: bool,
}

impl From<CreateAgentRequest> for AgentDraft {
    fn from(request: CreateAgentRequest) -> AgentDraft {
        AgentDraft {
            display_name: request.display_name,
            persona: request.persona,
            home: request.home,
            brain: request.brain,
        }
    }
}

/// Creates an agent with its account and token. It is stored before this answers, then
/// placed in the world.
#[utoipa::path(post, path = "/admin/agents", tag = "admin", request_body = CreateAgentRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created; the token is shown only now", body = AgentCreated),
        (status = 403, description = "Not an admin (`forbidden_role`)", body = ErrorBody),
        (status = 409, description = "Name taken (`conflict`)", body = ErrorBody),
        (status = 422, description = "Invalid field (`invalid_field`: a display name with invisible, direction-changing or control characters too), not a home landmark (`unknown_home`), or a name or persona refused by the compliance guard (`compliance_blocked`)", body = ErrorBody),
        (status = 503, description = "The world did not answer in time (`world_unavailable`) or is full (`world_full`)", body = ErrorBody)))]
pub async fn create_agent(
    principal: Principal,
    State(state): State<AppState>,
    ApiJson(request): ApiJson<CreateAgentRequest>,
) -> Result<(StatusCode, Json<AgentCreated>), ApiError> {
    let order = state
        .agent_desk()
        .order_agent(&principal, request.into())
        .await?;
    // Stored, placed and its token made live on a task of its own: if this request is
    // cancelled (timeout, client gone) the steps still finish together.
    let created = credential_change(&state, move |state| async move {
        Ok(state.agent_desk().create_agent(order).await?)
    })
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(AgentCreated {
            agent_id: created.agent.id,
            token: created.token,
            agent: created.agent,
        }),
    ))
}

/// Issues a new token for an agent (the old one stops working; a revoked agent is live again).
/// Also gives a token to agents made without one (generated residents).
#[utoipa::path(post, path = "/admin/agents/{id}/token", tag = "admin",
    params(("id" = u64, Path, description = "Agent id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The new token, shown only now", body = AgentToken),
        (status = 403, description = "Not an admin (`forbidden_role`)", body = ErrorBody),
        (status = 404, description = "No such agent (`unknown_agent`)", body = ErrorBody),
        (status = 409, description = "The agent is quarantined (`agent_quarantined`)", body = ErrorBody),
        (status = 503, description = "The world did not answer in time (`world_unavailable`)", body = ErrorBody)))]
pub async fn issue_token(
    principal: Principal,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<u64>,
) -> Result<Json<AgentToken>, ApiError> {
    let order = state
        .agent_desk()
        .order_token(&principal, AgentId(id))
        .await?;
    Ok(Json(commit_token(&state, order).await?))
}

/// Gives `agent` a new token with `prefix` (which says through which door it works; see
/// `auth::channel`); the previous one stops working. Audited as `action` by `principal`, in
/// the store and in the credential cache together. The caller has checked that `principal`
/// may ask for it.
pub(super) async fn issue_fresh_token(
    state: &AppState,
    principal: &Principal,
    agent: AgentId,
    action: &str,
    prefix: &str,
) -> Result<AgentToken, ApiError> {
    commit_token(state, TokenOrder::new(principal, agent, action, prefix)).await
}

/// Commits `order` under the credential lock.
async fn commit_token(state: &AppState, order: TokenOrder) -> Result<AgentToken, ApiError> {
    credential_change(state, move |state| async move {
        Ok(state.agent_desk().issue_token(order).await?)
    })
    .await
}

/// Revokes an agent's token: it stops working at once. The agent stays in the world.
#[utoipa::path(post, path = "/admin/agents/{id}/revoke", tag = "admin",
    params(("id" = u64, Path, description = "Agent id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Revoked (again, if it already was)", body = AgentRevoked),
        (status = 403, description = "Not an admin (`forbidden_role`)", body = ErrorBody),
        (status = 404, description = "No such agent account (`unknown_agent`)", body = ErrorBody)))]
pub async fn revoke_agent(
    principal: Principal,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<u64>,
) -> Result<Json<AgentRevoked>, ApiError> {
    let order = state.agent_desk().order_revoke(&principal, id).await?;
    let agent_id = credential_change(&state, move |state| async move {
        Ok(state.agent_desk().revoke(order).await?)
    })
    .await?;
    Ok(Json(AgentRevoked {
        agent_id,
        revoked: true,
    }))
}

/// Switches the brain the agent decides with in its container; the runtime replaces its
/// container at once (its workspace and memory are kept). Audited.
#[utoipa::path(put, path = "/admin/agents/{id}/brain", tag = "admin", request_body = BrainRequest,
    params(("id" = u64, Path, description = "Agent id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The brain now and before (the same when nothing changed)", body = BrainSwitched),
        (status = 403, description = "Not an admin (`forbidden_role`)", body = ErrorBody),
        (status = 404, description = "No such agent (`unknown_agent`)", body = ErrorBody),
        (status = 422, description = "Not `scripted` or `llm` (`invalid_body`)", body = ErrorBody),
        (status = 503, description = "The world did not answer in time (`world_unavailable`)", body = ErrorBody)))]
pub async fn switch_brain(
    principal: Principal,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<u64>,
    ApiJson(request): ApiJson<BrainRequest>,
) -> Result<Json<BrainSwitched>, ApiError> {
    let agent = AgentId(id);
    let desk = state.agent_desk();
    let previous = desk.switch_brain(&principal, agent, request.brain).await?;
    Ok(Json(BrainSwitched {
        agent_id: agent,
        brain: request.brain,
        previous,
    }))
}

impl From<AgentAdminError> for ApiError {
    fn from(error: AgentAdminError) -> Self {
        let message = error.to_string();
        match error {
            AgentAdminError::Access(error) => error.into(),
            AgentAdminError::Field(error) => error.into(),
            AgentAdminError::UnknownHome { .. } => Self::unprocessable("unknown_home", message),
            AgentAdminError::Refused(refusal) => refusal.into(),
            AgentAdminError::Quarantined(_) => Self::conflict("agent_quarantined", message),
            AgentAdminError::NoAccount(_) => Self::not_found("unknown_agent", message),
            AgentAdminError::Board(error) => error.into(),
            AgentAdminError::World(error) => error.into(),
            AgentAdminError::Unavailable(error) => error.into(),
            AgentAdminError::Store(error) => error.into(),
        }
    }
}
