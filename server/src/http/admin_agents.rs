//! `POST /admin/agents` (create an agent and issue its token, shown once) and
//! `POST /admin/agents/{id}/revoke`. Admins only; every call is audited.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use shared::api::AgentToken;
use shared::runtime::Hold;
use shared::{AgentId, AgentView};
use utoipa::ToSchema;

use super::credential_change::credential_change;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath};
use crate::auth::credentials::AgentCredential;
use crate::auth::{Principal, Role, secret_token};
use crate::board::rules;
use crate::board::screen::screen_shown;
use crate::clock::now_ms;
use crate::state::AppState;
use crate::store::{AuditEntry, NewAgent};
use crate::world::{WorldError, WorldUnavailable, checked_name, checked_text};

/// Longest display name, in characters.
pub const DISPLAY_NAME_CHARS_MAX: usize = 64;
/// Longest persona, in characters.
pub const PERSONA_CHARS_MAX: usize = 2000;

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
    /// What decides its actions in its container: `scripted` (the default) or `llm`.
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
    principal.require(&[Role::Admin])?;
    let new = checked_new_agent(&state, request)?;
    // Both are shown to everyone at once: no moderator could hold them back.
    screen_shown(
        state.screener(),
        &[
            ("display_name", &new.display_name),
            ("persona", &new.persona),
        ],
        principal.audit("admin.agent_create", String::new(), "denied", String::new()),
    )
    .await?;
    let token = secret_token::generate(secret_token::AGENT_TOKEN_PREFIX);
    let audit = principal.audit(
        "admin.agent_create",
        String::new(),
        "ok",
        format!("display name {:?}; token issued", new.display_name),
    );
    // Store, place and remember the token in a task of its own: if this request is cancelled
    // (timeout, client gone) the steps still finish together.
    let token_hash = secret_token::hash(&token);
    let agent = credential_change(&state, move |state| {
        store_and_spawn(state, new, token_hash, audit)
    })
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(AgentCreated {
            agent_id: agent.id,
            token,
            agent,
        }),
    ))
}

fn checked_new_agent(state: &AppState, request: CreateAgentRequest) -> Result<NewAgent, ApiError> {
    let invalid_field = |e: WorldError| ApiError::unprocessable("invalid_field", e.to_string());
    let display_name = checked_name(
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
    Ok(NewAgent {
        display_name,
        persona,
        home: request.home,
        profile: serde_json::json!({}),
        brain: request.brain.unwrap_or_default(),
    })
}

/// Writes the agent and its account and makes its token live, then places it in the world;
/// undoes all three when the world refused it or never got the command, so a failure changes
/// nothing.
async fn store_and_spawn(
    state: AppState,
    new: NewAgent,
    token_hash: String,
    audit: AuditEntry,
) -> Result<AgentView, ApiError> {
    let (record, account_id) = state
        .store
        .insert_agent_with_account(&new, &token_hash, &audit, now_ms())
        .await?;
    let id = record.view.id;
    state.credentials.set_agent_token(
        token_hash,
        AgentCredential {
            account_id,
            agent_id: id,
        },
    );
    let store = state.store.clone();
    let credentials = state.credentials.clone();
    let undo = |why: ApiError| async move {
        let undo_audit = AuditEntry {
            action: "admin.agent_create_undone".into(),
            target: format!("agent:{id}"),
            outcome: "failed",
            detail: why.message.clone(),
            ..audit
        };
        credentials.revoke_account(account_id);
        if let Err(error) = store
            .delete_agent_with_account(id, &undo_audit, now_ms())
            .await
        {
            tracing::error!(%error, %id, "could not undo an agent the world refused");
        }
        why
    };
    // The tier is read inside the world task, so a tier change committed before the spawn is
    // in the view and one committed after it arrives as its `TierChanged` event.
    let book = state.tier_book.clone();
    let spawned = state
        .world
        .call(move |world, now_ms| {
            let mut record = record;
            record.view.tier = book.tier_name(id, now_ms);
            world.spawn(record)
        })
        .await;
    match spawned {
        Ok(Ok(view)) => Ok(view),
        Ok(Err(refused)) => Err(undo(refused.into()).await),
        Err(WorldUnavailable::Busy) => Err(undo(WorldUnavailable::Busy.into()).await),
        // Queued (it will be placed) or the server is stopping (it is placed at the next start):
        // the agent exists, but it is not placed yet.
        Err(unavailable) => Err(unavailable.into()),
    }
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
    principal.require(&[Role::Admin])?;
    let agent = AgentId(id);
    rules::agent_exists(&state.world, agent).await?;
    if state.credentials.hold_of(agent) == Some(Hold::Quarantine) {
        return Err(ApiError::conflict(
            "agent_quarantined",
            format!("agent {id} is quarantined: no token is issued until an admin resumes it"),
        ));
    }
    let token = issue_fresh_token(
        &state,
        &principal,
        agent,
        "admin.agent_token_issue",
        secret_token::AGENT_TOKEN_PREFIX,
    )
    .await?;
    Ok(Json(token))
}

/// Gives `agent` a new token with `prefix` (which says through which door it works; see
/// `auth::channel`); the previous one stops working. Audited as `action` by `principal`, in
/// the store and in the credential cache together.
pub(super) async fn issue_fresh_token(
    state: &AppState,
    principal: &Principal,
    agent: AgentId,
    action: &str,
    prefix: &str,
) -> Result<AgentToken, ApiError> {
    let id = agent.0;
    let token = secret_token::generate(prefix);
    let token_hash = secret_token::hash(&token);
    let audit = principal.audit(action, format!("agent:{id}"), "ok", String::new());
    credential_change(state, move |state| async move {
        let account_id = state
            .store
            .issue_agent_token(id, &token_hash, &audit, now_ms())
            .await?;
        state.credentials.set_agent_token(
            token_hash,
            AgentCredential {
                account_id,
                agent_id: agent,
            },
        );
        Ok(())
    })
    .await?;
    Ok(AgentToken {
        agent_id: agent,
        token,
    })
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
    principal.require(&[Role::Admin])?;
    let account = state.store.find_agent_account(id).await?.ok_or_else(|| {
        ApiError::not_found("unknown_agent", format!("agent {id} has no account"))
    })?;
    let audit = principal.audit(
        "admin.agent_token_revoke",
        format!("agent:{id}"),
        "ok",
        String::new(),
    );
    let account_id = account.id;
    credential_change(&state, move |state| async move {
        state
            .store
            .revoke_account(account_id, &audit, now_ms())
            .await?;
        state.credentials.revoke_account(account_id);
        Ok(())
    })
    .await?;
    Ok(Json(AgentRevoked {
        agent_id: AgentId(id),
        revoked: true,
    }))
}
