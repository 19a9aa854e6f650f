//! What the agent runtime reads from and asks of the server: `GET /runtime/agents`, every
//! agent that lives in a container (the agents with an account) with the state its container
//! should be in and the limits of its tier in force; and `POST /runtime/agents/{id}/token`, a
//! fresh token for a container the runtime starts (the previous token stops working, so a
//! container left on a lost node cannot act once its agent runs elsewhere; it is a container
//! token, which works only through the agent door: `auth::channel`).
//!
//! And `POST /runtime/reports`: what the runtime saw of each container (node, state, restarts,
//! exit code, OOM kills, memory, CPU, disk), kept in memory and shown in the agent's
//! kill-switch view. A report whose disk is over the agent's tier limit pauses the agent
//! (`crate::disk_limit`): the server decides, the runtime only measured.
//!
//! Runtime accounts and admins only. Reads decide nothing: the runtime brings containers to
//! what this says.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use shared::api::AgentToken;
use shared::runtime::{
    ContainerReports, ContainerWant, DiskUse, Hold, ReportsTaken, RuntimeAgent, RuntimeAgents,
};
use shared::{AgentId, AgentStatus};

use super::admin_agents::issue_fresh_token;
use super::agent_control::{ControlOrder, apply_control};
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath};
use crate::auth::{Principal, Role, secret_token};
use crate::clock::now_ms;
use crate::disk_limit::over_limit;
use crate::kill_switch::ControlAction;
use crate::runtime_reports::{REPORT_FIELD_CHARS_MAX, REPORTS_PER_CALL_MAX};
use crate::state::AppState;

/// The desired state of every agent container.
#[utoipa::path(get, path = "/runtime/agents", tag = "runtime",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every agent with an account, by id", body = RuntimeAgents),
        (status = 403, description = "Not a runtime account or an admin (`forbidden_role`)", body = ErrorBody),
        (status = 503, description = "The world did not answer in time (`world_unavailable`)", body = ErrorBody)))]
pub async fn runtime_agents(
    principal: Principal,
    State(state): State<AppState>,
) -> Result<Json<RuntimeAgents>, ApiError> {
    principal.require(&[Role::Runtime, Role::Admin])?;
    let accounts = state.store.list_agent_accounts().await?;
    let brains = state.store.list_agent_brains().await?;
    let holds: HashMap<AgentId, Option<Hold>> = state
        .store
        .list_agent_controls()
        .await?
        .into_iter()
        .map(|control| (control.agent, control.hold))
        .collect();
    let statuses: HashMap<AgentId, AgentStatus> = state
        .world
        .call(|world, _| world.agents().map(|a| (a.id, a.status)).collect())
        .await?;
    let now = now_ms();
    let agents = accounts
        .iter()
        .filter_map(|account| {
            let id = AgentId(account.agent()?);
            // An account whose agent is not in the world (being removed) has nothing to run.
            let status = *statuses.get(&id)?;
            let revoked = account.revoked_at_ms.is_some();
            let hold = holds.get(&id).copied().flatten();
            let tier = state.tiers.get(state.tier_book.tier(id, now));
            Some(RuntimeAgent {
                id,
                account_id: account.id.0,
                status,
                want: ContainerWant::of(hold, revoked),
                hold,
                revoked,
                frozen: state.tier_book.is_frozen(id),
                brain: brains.get(&id).copied().unwrap_or_default(),
                tier: tier.name.clone(),
                entitlements: tier.entitlements.clone(),
            })
        })
        .collect();
    Ok(Json(RuntimeAgents { agents }))
}

/// A fresh token for the container the runtime is starting for an agent; the previous token
/// stops working. Refused for an agent whose container should not run.
#[utoipa::path(post, path = "/runtime/agents/{id}/token", tag = "runtime",
    params(("id" = u64, Path, description = "Agent id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The new token, shown only now", body = AgentToken),
        (status = 403, description = "Not a runtime account or an admin (`forbidden_role`)", body = ErrorBody),
        (status = 404, description = "No such agent account (`unknown_agent`)", body = ErrorBody),
        (status = 409, description = "The agent is revoked or quarantined (`agent_revoked`, `agent_quarantined`)", body = ErrorBody),
        (status = 503, description = "The world did not answer in time (`world_unavailable`)", body = ErrorBody)))]
pub async fn runtime_token(
    principal: Principal,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<u64>,
) -> Result<Json<AgentToken>, ApiError> {
    principal.require(&[Role::Runtime, Role::Admin])?;
    let agent = AgentId(id);
    let account = state.store.find_agent_account(id).await?.ok_or_else(|| {
        ApiError::not_found("unknown_agent", format!("agent {id} has no account"))
    })?;
    if account.revoked_at_ms.is_some() {
        return Err(ApiError::conflict(
            "agent_revoked",
            format!("agent {id}'s token is revoked; an admin issues a new one"),
        ));
    }
    let status = state
        .world
        .call(move |world, _| world.agent(agent).map(|a| a.status))
        .await??;
    if status == AgentStatus::Quarantined {
        return Err(ApiError::conflict(
            "agent_quarantined",
            format!("agent {id} is quarantined"),
        ));
    }
    // A container token: it works only through the agent door, so the runtime's account
    // cannot act as the agent with it over the public listener.
    let token = issue_fresh_token(
        &state,
        &principal,
        agent,
        "runtime.agent_token_issue",
        secret_token::CONTAINER_TOKEN_PREFIX,
    )
    .await?;
    Ok(Json(token))
}

/// The runtime's latest view of agent containers.
#[utoipa::path(post, path = "/runtime/reports", tag = "runtime",
    request_body = ContainerReports,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Kept (reports of unknown agents dropped; agents over their disk limit paused)", body = ReportsTaken),
        (status = 403, description = "Not a runtime account or an admin (`forbidden_role`)", body = ErrorBody),
        (status = 422, description = "Too many reports (`too_many_reports`), or a field too long (`invalid_field`)", body = ErrorBody),
        (status = 503, description = "The world did not answer in time (`world_unavailable`)", body = ErrorBody)))]
pub async fn runtime_reports(
    principal: Principal,
    State(state): State<AppState>,
    ApiJson(batch): ApiJson<ContainerReports>,
) -> Result<Json<ReportsTaken>, ApiError> {
    principal.require(&[Role::Runtime, Role::Admin])?;
    if batch.reports.len() > REPORTS_PER_CALL_MAX {
        return Err(ApiError::unprocessable(
            "too_many_reports",
            format!(
                "{} reports; at most {REPORTS_PER_CALL_MAX} per call",
                batch.reports.len()
            ),
        ));
    }
    if let Some(bad) = batch.reports.iter().find(|r| {
        r.node.chars().count() > REPORT_FIELD_CHARS_MAX
            || r.state.chars().count() > REPORT_FIELD_CHARS_MAX
    }) {
        return Err(ApiError::unprocessable(
            "invalid_field",
            format!(
                "agent {}: node and state are at most {REPORT_FIELD_CHARS_MAX} characters",
                bad.agent
            ),
        ));
    }
    let known: std::collections::HashSet<AgentId> = state
        .world
        .call(|world, _| world.agents().map(|a| a.id).collect())
        .await?;
    let now = now_ms();
    let mut taken = ReportsTaken {
        accepted: 0,
        unknown: Vec::new(),
        paused: Vec::new(),
    };
    let mut measured = Vec::new();
    for report in batch.reports {
        if known.contains(&report.agent) {
            measured.extend(report.disk.map(|disk| (report.agent, disk)));
            state.runtime_reports.record(report, now);
            taken.accepted += 1;
        } else {
            taken.unknown.push(report.agent);
        }
    }
    state.runtime_reports.retain(&known);
    for (agent, disk) in measured {
        if pause_if_over_disk(&state, &principal, agent, disk).await? {
            taken.paused.push(agent);
        }
    }
    Ok(Json(taken))
}

/// Pauses `agent` when `disk` is over its tier's limit and nothing holds it yet: at once, so it
/// writes nothing more, and with its memory kept for when it is resumed. Whether it did.
async fn pause_if_over_disk(
    state: &AppState,
    reporter: &Principal,
    agent: AgentId,
    disk: DiskUse,
) -> Result<bool, ApiError> {
    let tier = state.tiers.get(state.tier_book.tier(agent, now_ms()));
    let Some(reason) = over_limit(disk, tier.entitlements.disk_mib, &tier.name) else {
        return Ok(false);
    };
    let audit = reporter.audit(
        "disk_limit.agent_pause",
        format!("agent:{agent}"),
        "ok",
        reason.clone(),
    );
    let order = ControlOrder {
        agent,
        action: ControlAction::Pause,
        reason,
        by: None,
        audit,
        unless_held: true,
    };
    let paused = apply_control(state, order).await?.is_some();
    if paused {
        tracing::warn!(%agent, bytes = disk.bytes, complete = disk.complete, "over its disk limit: paused");
    }
    Ok(paused)
}
