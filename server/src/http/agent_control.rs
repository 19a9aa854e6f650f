//! The kill switch: `POST /admin/agents/{id}/control` (pause, resume, stop, kill, quarantine,
//! freeze, unfreeze, each with a reason) and `GET /admin/agents/{id}/control`. Admins only.
//!
//! A change is applied to the world (the agent stops and is refused every action), then stored
//! with its audit entry in one transaction (undone in the world if the store fails), then
//! made live in memory: every hold keeps the agent's token from acting on any route (423
//! `agent_held`), a quarantine's token stops working, a freeze drops the tier. The agent
//! runtime reads the result from `GET /runtime/agents` and brings the container to it on its
//! next pass.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use shared::runtime::{ContainerWant, Hold};
use shared::{AgentId, AgentStatus};
use utoipa::ToSchema;

use super::credential_change::credential_change;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath};
use crate::auth::{Principal, Role, secret_token};
use crate::board::rules;
use crate::clock::now_ms;
use crate::kill_switch::{ControlAction, REASON_CHARS_MAX, Refusal, next_control};
use crate::runtime_reports::ReceivedReport;
use crate::state::AppState;
use crate::store::{AgentControl, AuditEntry};
use crate::world::checked_text;

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

/// An agent's kill-switch state.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentControlView {
    pub agent_id: AgentId,
    /// The hold in force, if any.
    pub hold: Option<Hold>,
    /// Whether its compute is frozen at the first tier.
    pub frozen: bool,
    /// Its status in the world.
    pub status: AgentStatus,
    /// The tier in force.
    pub tier: String,
    /// The state the runtime brings its container to.
    pub container: ContainerWant,
    /// Why the last change was made.
    pub reason: String,
    /// Who made it (an account id), if anyone has.
    pub updated_by: Option<u64>,
    pub updated_at_ms: i64,
    /// What the agent runtime last reported of its container (node, state, restarts, OOM
    /// kills, memory, CPU), if it reported since the server started.
    pub container_report: Option<ReceivedReport>,
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
    principal.require(&[Role::Admin])?;
    let reason = checked_text("reason", &request.reason, REASON_CHARS_MAX)
        .map_err(|e| ApiError::unprocessable("invalid_field", e.to_string()))?;
    let agent = AgentId(id);
    rules::agent_exists(&state.world, agent).await?;
    let action = request.action;
    let audit = principal.audit(
        &format!("admin.agent_{}", action.as_str()),
        format!("agent:{id}"),
        "ok",
        reason.clone(),
    );
    let order = ControlOrder {
        agent,
        action,
        reason,
        by: Some(principal.account_id),
        audit,
        unless_held: false,
    };
    let control = apply_control(&state, order)
        .await?
        .ok_or_else(|| ApiError::internal("an admin's order was not applied"))?;
    tracing::info!(%agent, action = action.as_str(), "kill switch");
    Ok(Json(control_view(&state, control).await?))
}

/// One change to an agent's kill-switch state and who asked for it.
pub(super) struct ControlOrder {
    pub agent: AgentId,
    pub action: ControlAction,
    /// Checked already: 1 to [`REASON_CHARS_MAX`] characters.
    pub reason: String,
    /// The admin's account; `None` when the village's own rules decided (the disk limit).
    pub by: Option<u64>,
    pub audit: AuditEntry,
    /// Leave an agent that is already held as it is (`Ok(None)`): a rule must not soften or
    /// replace what an admin chose.
    pub unless_held: bool,
}

/// Applies `order`: to the world (the agent stops and is refused every action), then to the
/// store with its audit entry in one transaction (undone in the world if the store fails),
/// then to memory (the hold on the token, a quarantine's token change, a freeze).
pub(super) async fn apply_control(
    state: &AppState,
    order: ControlOrder,
) -> Result<Option<AgentControl>, ApiError> {
    // Under the credential lock: two orders for one agent cannot interleave, and a
    // quarantine's token change cannot race a token being issued.
    credential_change(state, move |state| async move {
        let ControlOrder {
            agent,
            action,
            reason,
            by,
            audit,
            unless_held,
        } = order;
        let current = state.store.find_agent_control(agent).await?;
        if unless_held && current.hold.is_some() {
            return Ok(None);
        }
        let next = next_control(&current, action).map_err(|refusal| match refusal {
            Refusal::Quarantined => ApiError::conflict(
                "agent_quarantined",
                format!("agent {agent} is quarantined; only resume releases it"),
            ),
        })?;
        let wanted = next.hold.map_or(AgentStatus::Idle, Hold::status);
        let before = state
            .world
            .call(move |world, _| world.set_held_status(agent, wanted))
            .await??;
        // A release keeps an acting agent's own status; a hold stores the hold's.
        let stored = if wanted.may_act() && before.may_act() {
            before
        } else {
            wanted
        };
        let control = AgentControl {
            agent,
            hold: next.hold,
            frozen: next.frozen,
            reason,
            updated_by: by,
            updated_at_ms: now_ms(),
        };
        // A quarantine gives the account a token nobody holds: the one in the container stops
        // working, and the runtime asks for a fresh one after a resume.
        let unknown_token = next
            .replace_token
            .then(|| secret_token::hash(&secret_token::generate(secret_token::AGENT_TOKEN_PREFIX)));
        let saved = state
            .store
            .save_agent_control(&control, stored, unknown_token.as_deref(), &audit)
            .await;
        if let Err(error) = saved {
            let undone = state
                .world
                .call(move |world, _| world.set_held_status(agent, before))
                .await;
            if !matches!(undone, Ok(Ok(_))) {
                tracing::error!(%agent, "a kill-switch change was not stored and not undone in the world");
            }
            return Err(error.into());
        }
        if next.replace_token {
            state.credentials.drop_agent_token(agent);
        }
        state.credentials.set_hold(agent, next.hold);
        state.tier_book.set_frozen(agent, next.frozen);
        Ok(Some(control))
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
    principal.require(&[Role::Admin])?;
    let agent = AgentId(id);
    rules::agent_exists(&state.world, agent).await?;
    let control = state.store.find_agent_control(agent).await?;
    Ok(Json(control_view(&state, control).await?))
}

async fn control_view(
    state: &AppState,
    control: AgentControl,
) -> Result<AgentControlView, ApiError> {
    let agent = control.agent;
    let status = state
        .world
        .call(move |world, _| world.agent(agent).map(|a| a.status))
        .await??;
    let revoked = state
        .store
        .find_agent_account(agent.0)
        .await?
        .is_some_and(|account| account.revoked_at_ms.is_some());
    Ok(AgentControlView {
        agent_id: agent,
        hold: control.hold,
        frozen: control.frozen,
        status,
        tier: state.tier_book.tier_name(agent, now_ms()),
        container: ContainerWant::of(control.hold, revoked),
        reason: control.reason,
        updated_by: control.updated_by,
        updated_at_ms: control.updated_at_ms,
        container_report: state.runtime_reports.get(agent),
    })
}
