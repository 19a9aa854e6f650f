//! `POST /payments/paypal/webhook`: real-money credit from the payment provider's relay. Only a
//! delivery signed with the shared secret over its raw body and a fresh timestamp is read
//! (`payments::signature`); a completed capture credits the agent named at checkout through the
//! ledger writer, idempotent on the event id (`paypal-event:<id>`) and on the transaction
//! (`paypal:<txn>`, shared with manual deposits), so a payment is credited once however often
//! or however it arrives.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use serde::Serialize;
use shared::AgentId;
use utoipa::ToSchema;

use super::error::{ApiError, ErrorBody};
use crate::auth::principal::RequestMeta;
use crate::board::rules;
use crate::clock::now_ms;
use crate::economy::{AccountRef, TransferCode, TransferError, TransferRequest};
use crate::payments::event::{CAPTURE_COMPLETED, PaypalEvent};
use crate::payments::signature::{SignatureError, verify};
use crate::state::AppState;

/// Longest event or transaction id taken (they become part of a transfer id).
const PROVIDER_ID_CHARS_MAX: usize = 40;

/// The webhook's answer: `credited`, `duplicate` (this event was credited before),
/// `already_credited` (its transaction was, by another event or a manual deposit) or `ignored`
/// (an event type that moves no money).
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookAck {
    pub status: &'static str,
    /// The crediting transfer, when there is one.
    pub transfer_seq: Option<i64>,
}

fn provider_id(what: &str, id: &str) -> Result<(), ApiError> {
    let fits = (1..=PROVIDER_ID_CHARS_MAX).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if fits {
        Ok(())
    } else {
        Err(ApiError::unprocessable(
            "invalid_event",
            format!("the {what} must be 1-40 characters of A-Z a-z 0-9 - _"),
        ))
    }
}

/// Receives a PayPal event from the payment relay.
#[utoipa::path(post, path = "/payments/paypal/webhook", tag = "payments",
    request_body(content = Object, description = "A PayPal webhook event, signed: X-Webhook-Timestamp and X-Webhook-Signature"),
    responses(
        (status = 200, description = "Taken (credited, a duplicate, or ignored)", body = WebhookAck),
        (status = 400, description = "The body could not be read (`unreadable_body`)", body = ErrorBody),
        (status = 401, description = "Missing, wrong or stale signature (`bad_signature`, `stale_signature`)", body = ErrorBody),
        (status = 404, description = "The agent named at checkout does not exist (`unknown_agent`)", body = ErrorBody),
        (status = 409, description = "This event id came before with other content (`transfer_id_reused`)", body = ErrorBody),
        (status = 422, description = "Not a usable event (`invalid_event`: also a body that is not JSON) or amount (`unsupported_amount`)", body = ErrorBody),
        (status = 429, description = "Too many deliveries from this address (`anonymous_rate_limited`, with `Retry-After`)", body = ErrorBody),
        (status = 503, description = "No webhook secret is configured (`webhook_not_configured`), or the world or the ledger did not answer in time (`world_unavailable`, `ledger_unavailable`)", body = ErrorBody)))]
pub async fn paypal_webhook(
    meta: RequestMeta,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<WebhookAck>, ApiError> {
    // Over `http.body_bytes_max` is the JSON 413 every route answers, not axum's plain text.
    let body = body?;
    let settings = &state.settings.payments;
    let Some(secret) = &settings.paypal_webhook_secret else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "webhook_not_configured",
            "payments.paypal_webhook_secret is not set",
        ));
    };
    // Unsigned traffic is anonymous traffic: limit it per address before any work (a refusal
    // is audited, and each audit entry is a durable write).
    state.rate_limits.check_anonymous(meta.ip).map_err(|wait| {
        ApiError::too_many_requests(
            "anonymous_rate_limited",
            "too many webhook deliveries from this address",
            wait,
        )
    })?;
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let checked = verify(
        secret.as_bytes(),
        header("x-webhook-timestamp"),
        header("x-webhook-signature"),
        &body,
        now_ms().div_euclid(1000),
        settings.webhook_tolerance_s,
    );
    if let Err(error) = checked {
        let entry = meta.audit(
            None,
            "payments.paypal_webhook",
            "paypal".into(),
            "denied",
            error.to_string(),
        );
        if let Err(error) = state.store.append_audit(&entry, now_ms()).await {
            tracing::warn!(%error, "could not audit a refused webhook delivery");
        }
        let code = match error {
            SignatureError::Stale { .. } => "stale_signature",
            _ => "bad_signature",
        };
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            code,
            error.to_string(),
        ));
    }
    let event: PaypalEvent = serde_json::from_slice(&body).map_err(|e| {
        ApiError::unprocessable("invalid_event", format!("not a PayPal event: {e}"))
    })?;
    provider_id("event id", &event.id)?;
    if event.event_type != CAPTURE_COMPLETED {
        return Ok(Json(WebhookAck {
            status: "ignored",
            transfer_seq: None,
        }));
    }
    let capture = event.resource.ok_or_else(|| {
        ApiError::unprocessable("invalid_event", "a completed capture needs its resource")
    })?;
    provider_id("transaction id", &capture.id)?;
    let agent: AgentId = capture.agent().ok_or_else(|| {
        ApiError::unprocessable("invalid_event", "custom_id must name the agent: agent:<id>")
    })?;
    let micros = capture
        .credit_micros(settings.aidollar_micros_per_usd)
        .filter(|m| *m <= state.settings.economy.transfer_micros_max)
        .ok_or_else(|| {
            ApiError::unprocessable(
                "unsupported_amount",
                "the amount must be a positive USD value with at most two decimals, within the transfer limit",
            )
        })?;
    rules::agent_exists(&state.world, agent).await?;
    let transfer = TransferRequest {
        external_ref: Some(crate::payments::paypal_reference(&capture.id)),
        memo: format!("PayPal event {}", event.id),
        request_id: meta.request_id.clone(),
        ..TransferRequest::new(
            format!("paypal-event:{}", event.id),
            (AccountRef::Deposits, AccountRef::Agent(agent)),
            micros,
            TransferCode::DepositCredit,
            "payments.paypal_webhook",
        )
    };
    match state.ledger.transfer(transfer).await {
        Ok(committed) => Ok(Json(WebhookAck {
            status: if committed.replayed {
                "duplicate"
            } else {
                "credited"
            },
            transfer_seq: Some(committed.transfer.seq),
        })),
        Err(TransferError::ExternalRefUsed(..)) => Ok(Json(WebhookAck {
            status: "already_credited",
            transfer_seq: None,
        })),
        Err(error) => Err(error.into()),
    }
}
