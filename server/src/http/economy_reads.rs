//! The economy's reads: `GET /economy/balance/{agent_id}` (an agent's standing) and
//! `GET /economy/ledger/{agent_id}` (its transfers). Each parses, calls `economy::desk` and
//! answers.

use axum::Json;
use axum::extract::State;
use shared::AgentId;
use shared::api::{LedgerPage, LedgerQuery, Standing};

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiPath, ApiQuery};
use crate::auth::{Principal, Viewer};
use crate::board::rules;
use crate::state::AppState;

/// An agent's balance, tier, entitlements, burn and downgrade outlook (public where
/// anonymous reads are on).
#[utoipa::path(get, path = "/economy/balance/{agent_id}", tag = "economy",
    params(("agent_id" = u64, Path, description = "Agent id")),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The agent's standing", body = Standing),
        (status = 404, description = "No such agent (`unknown_agent`)", body = ErrorBody),
        (status = 503, description = "The world did not answer in time (`world_unavailable`)", body = ErrorBody)))]
pub async fn balance(
    _viewer: Viewer,
    State(state): State<AppState>,
    ApiPath(agent_id): ApiPath<u64>,
) -> Result<Json<Standing>, ApiError> {
    let agent = AgentId(agent_id);
    rules::agent_exists(&state.world, agent).await?;
    Ok(Json(state.money_desk().standing(agent).await?))
}

/// An agent's transfers, newest first: for the agent itself, moderators and admins.
#[utoipa::path(get, path = "/economy/ledger/{agent_id}", tag = "economy",
    params(("agent_id" = u64, Path, description = "Agent id"), LedgerQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of transfers", body = LedgerPage),
        (status = 403, description = "Not this agent or staff (`not_your_agent`)", body = ErrorBody),
        (status = 404, description = "No such agent (`unknown_agent`)", body = ErrorBody),
        (status = 503, description = "The world did not answer in time (`world_unavailable`)", body = ErrorBody)))]
pub async fn ledger(
    principal: Principal,
    State(state): State<AppState>,
    ApiPath(agent_id): ApiPath<u64>,
    ApiQuery(query): ApiQuery<LedgerQuery>,
) -> Result<Json<LedgerPage>, ApiError> {
    let desk = state.money_desk();
    Ok(Json(
        desk.ledger(&principal, AgentId(agent_id), query).await?,
    ))
}
