//! The economy's writes: `POST /economy/reward`, `POST /economy/penalize`,
//! `POST /economy/deposits`, `POST /economy/purchase`. Each handler parses, calls
//! `economy::desk` (who may, the fields, the work a reward is for; the ledger writer then
//! checks money atomically) and answers; a `MoneyError` becomes its status and code here. The
//! reads are in `economy_reads.rs`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use shared::api::{DepositRequest, FeedbackRequest, PurchaseRequest, TransferResult};

use super::error::{ApiError, ErrorBody};
use super::extract::ApiJson;
use crate::auth::Principal;
use crate::economy::desk::MoneyError;
use crate::economy::money_fields::MoneyFieldError;
use crate::state::AppState;

pub use crate::economy::money_fields::{TRANSFER_ID_CHARS_MAX, TXN_ID_CHARS_MAX};

impl From<MoneyFieldError> for ApiError {
    fn from(error: MoneyFieldError) -> Self {
        let code = match error {
            MoneyFieldError::ReservedTransferId | MoneyFieldError::InvalidTransferId => {
                "invalid_transfer_id"
            }
            MoneyFieldError::AmountNotPositive => "invalid_amount",
            MoneyFieldError::AmountTooLarge { .. } => "amount_too_large",
            MoneyFieldError::InvalidTxnId => "invalid_txn_id",
        };
        ApiError::unprocessable(code, error.to_string())
    }
}

impl From<MoneyError> for ApiError {
    fn from(error: MoneyError) -> Self {
        let message = error.to_string();
        match error {
            MoneyError::Access(error) => error.into(),
            MoneyError::Field(error) => error.into(),
            MoneyError::Text(error) => error.into(),
            MoneyError::NegativeNotAllowed => ApiError::forbidden("forbidden_flag", message),
            MoneyError::UnknownReply { .. } => ApiError::not_found("unknown_reply", message),
            MoneyError::NotAgentsWork(..) => ApiError::unprocessable("not_agents_work", message),
            MoneyError::InvalidHours(_) => ApiError::unprocessable("invalid_hours", message),
            MoneyError::UnknownTier { .. } => ApiError::unprocessable("unknown_tier", message),
            MoneyError::NotPurchasable(_) => ApiError::unprocessable("not_purchasable", message),
            MoneyError::Board(error) => error.into(),
            MoneyError::Post(error) => error.into(),
            MoneyError::Transfer(error) => error.into(),
            MoneyError::Store(error) => error.into(),
            MoneyError::World(error) => error.into(),
            MoneyError::Unavailable(error) => error.into(),
        }
    }
}

/// A transfer's answer: 201 when made now, 200 when it repeats an earlier one.
fn answered(result: TransferResult) -> (StatusCode, Json<TransferResult>) {
    let status = if result.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    (status, Json(result))
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
    let result = state.money_desk().reward(&principal, request).await?;
    Ok(answered(result))
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
    let result = state.money_desk().penalize(&principal, request).await?;
    Ok(answered(result))
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
    let result = state.money_desk().deposit(&principal, request).await?;
    Ok(answered(result))
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
    let result = state.money_desk().purchase(&principal, request).await?;
    Ok(answered(result))
}
