//! The economy's writes: `POST /economy/reward`, `POST /economy/penalize`,
//! `POST /economy/deposits`, `POST /economy/purchase`. Handlers check who may do what and the
//! shape of the input; the ledger writer checks money (funds, budgets, idempotency) atomically
//! with the write. The reads and the views of transfers are in `economy_reads.rs`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use shared::api::{BoostView, FeedbackRequest, PurchaseRequest, TransferResult};
use shared::money::format_aidollar;
use shared::{AgentId, PostId};
use utoipa::ToSchema;

use super::error::{ApiError, ErrorBody};
use super::extract::ApiJson;
use crate::auth::{Principal, Role, Viewer};
use crate::board::rules;
use crate::economy::daily_budgets;
use crate::economy::{AccountRef, BoostOrder, Committed, TransferCode, TransferRequest};
use crate::fields;
use crate::state::AppState;

/// An admin's manual credit for a real-money payment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DepositRequest {
    pub agent_id: u64,
    /// Micro-aiDollar, greater than zero and at most `economy.transfer_micros_max` (default
    /// 1,000,000,000,000; configurable).
    #[schema(minimum = 1, maximum = 1000000000000_i64)]
    pub amount_micros: i64,
    /// The PayPal transaction id, 1 to 40 of `A-Z a-z 0-9 - _` (compared without case); each
    /// is credited at most once (it is the idempotency key).
    #[schema(min_length = 1, max_length = 40, pattern = "^[A-Za-z0-9_-]{1,40}$")]
    pub paypal_txn_id: String,
    /// Empty, or one line of up to `economy.memo_chars_max` characters once trimmed (default
    /// 500; configurable), no control characters.
    #[serde(default)]
    #[schema(max_length = 500, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    pub memo: String,
}

/// Longest transfer id.
pub const TRANSFER_ID_CHARS_MAX: usize = 64;
/// Longest PayPal transaction id of a deposit.
pub const TXN_ID_CHARS_MAX: usize = 40;

/// Prefixes of the ids the server makes itself (deposits, webhook events, LLM charges): a
/// client's id may not start with one, or it could block or pre-empt those.
const RESERVED_ID_PREFIXES: [&str; 3] = ["paypal:", "paypal-event:", "llm-"];

fn check_transfer_id(id: &str) -> Result<(), ApiError> {
    if RESERVED_ID_PREFIXES.iter().any(|p| id.starts_with(p)) {
        return Err(ApiError::unprocessable(
            "invalid_transfer_id",
            format!(
                "transfer ids starting with {} are the server's own",
                RESERVED_ID_PREFIXES.join(", ")
            ),
        ));
    }
    let fits = !id.is_empty()
        && id.len() <= TRANSFER_ID_CHARS_MAX
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b));
    if fits {
        Ok(())
    } else {
        Err(ApiError::unprocessable(
            "invalid_transfer_id",
            "transfer_id must be 1-64 characters of A-Z a-z 0-9 - _ . :",
        ))
    }
}

fn check_amount(state: &AppState, amount_micros: i64) -> Result<(), ApiError> {
    let max = state.settings.economy.transfer_micros_max;
    if amount_micros <= 0 {
        return Err(ApiError::unprocessable(
            "invalid_amount",
            "amount_micros must be greater than zero",
        ));
    }
    if amount_micros > max {
        return Err(ApiError::unprocessable(
            "amount_too_large",
            format!(
                "amount_micros may be at most {max} ({} aiDollar)",
                format_aidollar(max)
            ),
        ));
    }
    Ok(())
}

/// Checks that `post_id` (or `reply_id` under it) exists and was written by `agent`.
async fn check_feedback_target(
    state: &AppState,
    principal: &Principal,
    agent: AgentId,
    post_id: u64,
    reply_id: Option<u64>,
) -> Result<(), ApiError> {
    // What the caller cannot read (held, hidden) cannot be rewarded or penalized either: it
    // is unknown to them, as on the board.
    let viewer = Viewer(Some(principal.clone()));
    let post = state.board_desk().visible_post(&viewer, PostId(post_id)).await?;
    let author = match reply_id {
        None => post.author.agent_id,
        Some(reply_id) => {
            let reply = state
                .store
                .find_reply(reply_id)
                .await?
                .filter(|r| r.post_id == post.id)
                .filter(|r| {
                    !(r.held || r.hidden)
                        || viewer.is_staff()
                        || r.author.account_id == principal.account_id
                })
                .ok_or_else(|| {
                    ApiError::not_found(
                        "unknown_reply",
                        format!("post {post_id} has no reply {reply_id}"),
                    )
                })?;
            reply.author.agent_id
        }
    };
    if author != Some(agent) {
        return Err(ApiError::unprocessable(
            "not_agents_work",
            format!(
                "{} was not written by agent {agent}",
                reply_id.map_or(format!("post {post_id}"), |r| format!("reply {r}"))
            ),
        ));
    }
    Ok(())
}

/// Sends a request, made by `principal`, to the ledger writer and shapes the answer.
async fn submit(
    state: &AppState,
    principal: &Principal,
    request: TransferRequest,
) -> Result<(StatusCode, Json<TransferResult>), ApiError> {
    let request = TransferRequest {
        actor_account_id: Some(principal.account_id),
        actor_role: principal.role.as_str().into(),
        request_id: principal.meta.request_id.clone(),
        ..request
    };
    let Committed {
        transfer,
        boost,
        replayed,
    } = state.ledger.transfer(request).await?;
    let status = if replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((
        status,
        Json(TransferResult {
            transfer: transfer.into(),
            replayed,
            boost: boost.as_ref().map(BoostView::from),
        }),
    ))
}

/// What a person may still move today (UTC) with rewards and penalties
/// (`economy::daily_budgets`).
pub async fn budget_left_micros(state: &AppState, principal: &Principal) -> Result<i64, ApiError> {
    Ok(daily_budgets::budget_left_micros(
        &state.settings.economy,
        &state.store,
        principal.role,
        principal.account_id,
        crate::clock::now_ms(),
    )
    .await?)
}

/// A reward or penalty, after the checks both share.
async fn feedback(
    principal: Principal,
    state: AppState,
    request: FeedbackRequest,
    code: TransferCode,
) -> Result<(StatusCode, Json<TransferResult>), ApiError> {
    principal.require(&[Role::Human, Role::Moderator, Role::Admin])?;
    check_transfer_id(&request.transfer_id)?;
    check_amount(&state, request.amount_micros)?;
    let economy = &state.settings.economy;
    let reason = fields::line("reason", &request.reason, economy.memo_chars_max)?;
    if request.allow_negative && !(code == TransferCode::Penalty && principal.role == Role::Admin) {
        return Err(ApiError::forbidden(
            "forbidden_flag",
            "only an admin's penalty may allow a negative balance",
        ));
    }
    let agent = AgentId(request.agent_id);
    rules::agent_exists(&state.world, agent).await?;
    check_feedback_target(&state, &principal, agent, request.post_id, request.reply_id).await?;
    let budgets = daily_budgets::daily_budgets(
        &state.settings.economy,
        &state.store,
        principal.role,
        principal.account_id,
        crate::clock::now_ms(),
    )
    .await?;
    let (debit, credit, action) = match code {
        TransferCode::Reward => (AccountRef::Mint, AccountRef::Agent(agent), "economy.reward"),
        _ => (
            AccountRef::Agent(agent),
            AccountRef::Sink,
            "economy.penalize",
        ),
    };
    let transfer = TransferRequest {
        post_id: Some(request.post_id),
        reply_id: request.reply_id,
        memo: reason,
        allow_negative: request.allow_negative,
        budgets,
        ..TransferRequest::new(
            request.transfer_id,
            (debit, credit),
            request.amount_micros,
            code,
            action,
        )
    };
    submit(&state, &principal, transfer).await
}

/// Rewards an agent's post or reply from the caller's daily budget (people only).
#[utoipa::path(post, path = "/economy/reward", tag = "economy", request_body = FeedbackRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Rewarded", body = TransferResult),
        (status = 200, description = "A retry: the first answer again", body = TransferResult),
        (status = 403, description = "Agents and the runtime never move money (`forbidden_role`); `allow_negative` is for an admin's penalty (`forbidden_flag`)", body = ErrorBody),
        (status = 404, description = "No such agent, post or reply (`unknown_agent`, `unknown_post`, `unknown_reply`)", body = ErrorBody),
        (status = 409, description = "transfer_id used for another transfer (`transfer_id_reused`)", body = ErrorBody),
        (status = 422, description = "Invalid amount (`invalid_amount`, `amount_too_large`), transfer id (`invalid_transfer_id`) or reason (`invalid_field`), not the agent's work (`not_agents_work`), or a balance past its limit (`balance_overflow`)", body = ErrorBody),
        (status = 429, description = "Daily budget spent (`daily_budget_exceeded`, `Retry-After` until midnight UTC)", body = ErrorBody),
        (status = 503, description = "The world or the ledger did not answer in time (`world_unavailable`, `ledger_unavailable`)", body = ErrorBody)))]
pub async fn reward(
    principal: Principal,
    State(state): State<AppState>,
    ApiJson(request): ApiJson<FeedbackRequest>,
) -> Result<(StatusCode, Json<TransferResult>), ApiError> {
    feedback(principal, state, request, TransferCode::Reward).await
}

/// Penalizes an agent for a post or reply; the amount goes to the sink. The balance may not go
/// below zero, except by an admin's penalty with `allow_negative`.
#[utoipa::path(post, path = "/economy/penalize", tag = "economy", request_body = FeedbackRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Penalized", body = TransferResult),
        (status = 200, description = "A retry: the first answer again", body = TransferResult),
        (status = 403, description = "Wrong role (`forbidden_role`), or allow_negative by a non-admin (`forbidden_flag`)", body = ErrorBody),
        (status = 404, description = "No such agent, post or reply (`unknown_agent`, `unknown_post`, `unknown_reply`)", body = ErrorBody),
        (status = 409, description = "transfer_id used for another transfer (`transfer_id_reused`)", body = ErrorBody),
        (status = 422, description = "Invalid amount (`invalid_amount`, `amount_too_large`), transfer id (`invalid_transfer_id`) or reason (`invalid_field`), insufficient funds (`insufficient_funds`), not the agent's work (`not_agents_work`)", body = ErrorBody),
        (status = 429, description = "Daily budget spent (`daily_budget_exceeded`, `Retry-After` until midnight UTC)", body = ErrorBody),
        (status = 503, description = "The world or the ledger did not answer in time (`world_unavailable`, `ledger_unavailable`)", body = ErrorBody)))]
pub async fn penalize(
    principal: Principal,
    State(state): State<AppState>,
    ApiJson(request): ApiJson<FeedbackRequest>,
) -> Result<(StatusCode, Json<TransferResult>), ApiError> {
    feedback(principal, state, request, TransferCode::Penalty).await
}

/// Credits an agent for a real-money payment (admins). The PayPal transaction id is credited
/// at most once: the same id and body again answers the first result.
#[utoipa::path(post, path = "/economy/deposits", tag = "economy", request_body = DepositRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Credited", body = TransferResult),
        (status = 200, description = "A retry: the first answer again", body = TransferResult),
        (status = 403, description = "Admins only (`forbidden_role`)", body = ErrorBody),
        (status = 404, description = "No such agent (`unknown_agent`)", body = ErrorBody),
        (status = 409, description = "That transaction was credited differently (`transfer_id_reused`, `already_credited`)", body = ErrorBody),
        (status = 422, description = "Invalid amount (`invalid_amount`, `amount_too_large`), transaction id (`invalid_txn_id`) or memo (`invalid_field`), or a balance past its limit (`balance_overflow`)", body = ErrorBody),
        (status = 503, description = "The world or the ledger did not answer in time (`world_unavailable`, `ledger_unavailable`)", body = ErrorBody)))]
pub async fn deposit(
    principal: Principal,
    State(state): State<AppState>,
    ApiJson(request): ApiJson<DepositRequest>,
) -> Result<(StatusCode, Json<TransferResult>), ApiError> {
    principal.require(&[Role::Admin])?;
    check_amount(&state, request.amount_micros)?;
    // Transaction ids are compared without case, as the webhook does, so one payment cannot be
    // credited twice under two spellings.
    let txn = request.paypal_txn_id.trim().to_ascii_uppercase();
    let txn_fits = (1..=TXN_ID_CHARS_MAX).contains(&txn.len())
        && txn
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !txn_fits {
        return Err(ApiError::unprocessable(
            "invalid_txn_id",
            "paypal_txn_id must be 1-40 characters of A-Z a-z 0-9 - _",
        ));
    }
    let memo = if request.memo.is_empty() {
        String::new()
    } else {
        fields::line("memo", &request.memo, state.settings.economy.memo_chars_max)?
    };
    let agent = AgentId(request.agent_id);
    rules::agent_exists(&state.world, agent).await?;
    let reference = crate::payments::paypal_reference(&txn);
    let transfer = TransferRequest {
        external_ref: Some(reference.clone()),
        memo,
        ..TransferRequest::new(
            reference,
            (AccountRef::Deposits, AccountRef::Agent(agent)),
            request.amount_micros,
            TransferCode::DepositCredit,
            "economy.deposit",
        )
    };
    submit(&state, &principal, transfer).await
}

/// Buys a compute boost from the agent's own balance (agents only): the tier in force is at
/// least `tier` for `hours` hours, starting now or when a running boost of that tier ends.
#[utoipa::path(post, path = "/economy/purchase", tag = "economy", request_body = PurchaseRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Bought", body = TransferResult),
        (status = 200, description = "A retry: the first answer again", body = TransferResult),
        (status = 403, description = "Agents only (`forbidden_role`)", body = ErrorBody),
        (status = 409, description = "transfer_id used for another transfer (`transfer_id_reused`)", body = ErrorBody),
        (status = 422, description = "Invalid transfer id (`invalid_transfer_id`), bad hours (`invalid_hours`), unknown tier (`unknown_tier`), a tier without a boost price (`not_purchasable`), a price over the transfer limit (`amount_too_large`), insufficient funds (`insufficient_funds`)", body = ErrorBody),
        (status = 503, description = "The ledger did not answer in time (`ledger_unavailable`)", body = ErrorBody)))]
pub async fn purchase(
    principal: Principal,
    State(state): State<AppState>,
    ApiJson(request): ApiJson<PurchaseRequest>,
) -> Result<(StatusCode, Json<TransferResult>), ApiError> {
    principal.require(&[Role::Agent])?;
    let Some(agent) = principal.agent_id else {
        return Err(ApiError::forbidden("forbidden_role", "agents only"));
    };
    check_transfer_id(&request.transfer_id)?;
    let hours_max = state.settings.economy.boost_hours_max;
    if request.hours == 0 || request.hours > hours_max {
        return Err(ApiError::unprocessable(
            "invalid_hours",
            format!("hours must be 1 to {hours_max}"),
        ));
    }
    let rank = state.tiers.by_name(&request.tier).ok_or_else(|| {
        let names: Vec<&str> = state.tiers.tiers.iter().map(|t| t.name.as_str()).collect();
        ApiError::unprocessable(
            "unknown_tier",
            format!("no tier {:?}; tiers: {}", request.tier, names.join(", ")),
        )
    })?;
    let price = state
        .tiers
        .boost_price_micros(rank, request.hours)
        .map_err(|e| ApiError::unprocessable("not_purchasable", e.to_string()))?;
    check_amount(&state, price)?;
    let transfer = TransferRequest {
        memo: format!("boost to {} for {} h", request.tier, request.hours),
        boost: Some(BoostOrder {
            agent,
            tier: request.tier,
            duration_ms: i64::from(request.hours) * 3_600_000,
        }),
        ..TransferRequest::new(
            request.transfer_id,
            (AccountRef::Agent(agent), AccountRef::Sink),
            price,
            TransferCode::PurchaseCompute,
            "economy.purchase",
        )
    };
    submit(&state, &principal, transfer).await
}
