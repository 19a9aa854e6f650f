//! The economy's reads: `GET /economy/balance/{agent_id}` (an agent's standing) and
//! `GET /economy/ledger/{agent_id}` (its transfers), and the views of transfers every economy
//! route answers with.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use shared::AgentId;
use shared::api::{LedgerPage, Standing, TransferView};
use shared::money::format_aidollar;
use utoipa::IntoParams;

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiPath, ApiQuery};
use crate::paging::next_cursor;
use crate::auth::{Principal, Role, Viewer};
use crate::board::rules;
use crate::clock::now_ms;
use crate::economy::standing::read_standing;
use crate::state::AppState;
use crate::store::TransferRecord;

/// A stored transfer as the API shows it: the account names rather than their ids, and the
/// amount for people.
impl From<TransferRecord> for TransferView {
    fn from(t: TransferRecord) -> Self {
        TransferView {
            amount: format_aidollar(t.amount_micros),
            seq: t.seq,
            transfer_id: t.transfer_id,
            debit_account: t.debit_account,
            credit_account: t.credit_account,
            amount_micros: t.amount_micros,
            code: t.code,
            actor_account_id: t.actor_account_id,
            actor_role: t.actor_role,
            post_id: t.post_id,
            reply_id: t.reply_id,
            external_ref: t.external_ref,
            memo: t.memo,
            allow_negative: t.allow_negative,
            debit_balance_after_micros: t.debit_balance_after_micros,
            credit_balance_after_micros: t.credit_balance_after_micros,
            request_id: t.request_id,
            at_ms: t.at_ms,
        }
    }
}

/// Paging of the ledger listing.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LedgerParams {
    /// `next_cursor` of the previous page.
    pub cursor: Option<u64>,
    /// Transfers per page (default 50, at most `economy.ledger_page_size_max`: default 200,
    /// configurable; larger asks get the most).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

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
    let warn = state.settings.economy.downgrade_warning_ms;
    Ok(Json(
        read_standing(&state.store, &state.tiers, agent, now_ms(), warn).await?,
    ))
}

/// An agent's transfers, newest first: for the agent itself, moderators and admins.
#[utoipa::path(get, path = "/economy/ledger/{agent_id}", tag = "economy",
    params(("agent_id" = u64, Path, description = "Agent id"), LedgerParams),
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
    ApiQuery(params): ApiQuery<LedgerParams>,
) -> Result<Json<LedgerPage>, ApiError> {
    let agent = AgentId(agent_id);
    if principal.role != Role::Moderator {
        principal.require_agent(agent)?;
    }
    rules::agent_exists(&state.world, agent).await?;
    let limit = params
        .limit
        .unwrap_or(50)
        .clamp(1, state.settings.economy.ledger_page_size_max);
    let before = params.cursor.map(crate::store::id_to_db);
    let transfers = match state.store.agent_ledger_account(agent).await? {
        Some((account, _)) => {
            state
                .store
                .list_account_transfers(account, before, limit)
                .await?
        }
        None => Vec::new(),
    };
    let cursor = next_cursor(&transfers, limit, |t| t.seq.unsigned_abs());
    Ok(Json(LedgerPage {
        agent_id,
        transfers: transfers.into_iter().map(TransferView::from).collect(),
        next_cursor: cursor,
    }))
}
