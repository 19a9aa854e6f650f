//! The LLM gateway, OpenAI-compatible: `GET /v1/models` and `POST /v1/chat/completions`
//! (streaming and not), for agent tokens only. A call must name a model of the agent's tier
//! (403 naming the allowed ones) that the gateway serves, within the tier's hourly token budget
//! (429), and, when the model is priced and the agent's free allowance on the smallest model
//! (`llm.free_tokens_per_hour`) does not cover it, with a balance that covers its worst case (the
//! request's bytes as prompt tokens, plus `max_tokens`); both count the agent's other calls
//! in flight (`llm::reservations`). It is then forwarded (`llm_forward.rs`) with the
//! upstream's model name, a `max_tokens` bound and (streaming) `stream_options.include_usage`
//! (and, for an upstream marked `tool_calls = "json_schema"`, its tools as a response schema:
//! `llm::schema_tool_calls`), and settled by `llm::meter` once it ends, never charging more than it held; answers and
//! streamed events carry the village's model name.

use std::time::Duration;

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;
use serde_json::{Value, json};
use shared::AgentId;
use utoipa::ToSchema;

use super::error::{ApiError, ErrorBody};
use super::llm_forward::run_call;
use crate::auth::{Principal, Role};
use crate::clock::now_ms;
use crate::llm::meter::{FinishedCall, cost_micros};
use crate::llm::reservations::{Reservation, Shortfall};
use crate::llm::schema_tool_calls::constrain_to_tools;
use crate::llm::{LlmModelSetting, ToolCallMode};
use crate::state::AppState;

/// The window of the hourly token budget.
const HOUR_MS: i64 = 3_600_000;
/// Tokens a chat template may add beyond the request's bytes (a default system prompt and the
/// assistant's opening): a margin on the prompt's worst case.
const PROMPT_TEMPLATE_TOKENS_MAX: i64 = 64;

/// One model, as `GET /v1/models` lists it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModelEntry {
    pub id: String,
    pub object: &'static str,
    pub owned_by: &'static str,
}

/// The OpenAI model list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModelList {
    pub object: &'static str,
    pub data: Vec<ModelEntry>,
}

/// The calling agent (403 for any other caller).
fn calling_agent(principal: &Principal) -> Result<AgentId, ApiError> {
    principal.require(&[Role::Agent])?;
    principal
        .agent_id
        .ok_or_else(|| ApiError::forbidden("forbidden_role", "agents only"))
}

/// Models the agent's tier allows and the gateway serves.
fn allowed_models(state: &AppState, agent: AgentId) -> (String, Vec<String>) {
    let tier = state.tiers.get(state.tier_book.tier(agent, now_ms()));
    let served = tier
        .entitlements
        .llm_models
        .iter()
        .filter(|name| state.settings.llm.model(name).is_some())
        .cloned()
        .collect();
    (tier.name.clone(), served)
}

/// The models this agent may call now (its tier's, where served).
#[utoipa::path(get, path = "/v1/models", tag = "llm",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The agent's models", body = ModelList),
        (status = 403, description = "Agents only (`forbidden_role`)", body = ErrorBody)))]
pub async fn list_models(
    principal: Principal,
    State(state): State<AppState>,
) -> Result<Json<ModelList>, ApiError> {
    let agent = calling_agent(&principal)?;
    let (_, models) = allowed_models(&state, agent);
    Ok(Json(ModelList {
        object: "list",
        data: models
            .into_iter()
            .map(|id| ModelEntry {
                id,
                object: "model",
                owned_by: "village",
            })
            .collect(),
    }))
}

/// A call admitted: the model's settings, the `max_tokens` to forward, what it holds, and its
/// price (0 when it is free: an unpriced model, or the free allowance).
struct Admitted<'s> {
    setting: &'s LlmModelSetting,
    max_tokens: i64,
    reservation: Reservation,
    price_per_1k_tokens_micros: i64,
}

/// The price of a call of up to `worst` tokens to `model`: free while the agent's free
/// allowance on the smallest model covers it, counting its calls in flight (`held` tokens)
/// as if they were free too, so concurrent calls never overrun the allowance.
async fn price_of(
    state: &AppState,
    agent: AgentId,
    setting: &LlmModelSetting,
    worst: i64,
    now: i64,
) -> Result<i64, ApiError> {
    let price = setting.price_per_1k_tokens_micros;
    let allowance = state.settings.llm.free_tokens_per_hour;
    let smallest = state
        .tiers
        .tiers
        .first()
        .and_then(|tier| tier.entitlements.llm_models.first());
    if price == 0 || allowance == 0 || smallest != Some(&setting.name) {
        return Ok(price);
    }
    let used = state
        .store
        .llm_free_tokens_since(agent, &setting.name, now - HOUR_MS)
        .await?;
    let held = state.llm_reservations.tokens_held(agent);
    let free = used.saturating_add(held).saturating_add(worst) <= allowance;
    Ok(if free { 0 } else { price })
}

/// Checks a call against the tier (model, hourly tokens) and the balance, with the agent's
/// other calls in flight, and reserves its worst case: `prompt_worst` plus `max_tokens`,
/// where `max_tokens` is the request's, cut down to what the hour has left.
async fn admit<'s>(
    state: &'s AppState,
    agent: AgentId,
    model: &str,
    requested_max_tokens: i64,
    prompt_worst: i64,
) -> Result<Admitted<'s>, ApiError> {
    let tier_rank = state.tier_book.tier(agent, now_ms());
    let tier = state.tiers.get(tier_rank);
    if !tier.entitlements.llm_models.iter().any(|m| m == model) {
        let (_, allowed) = allowed_models(state, agent);
        return Err(ApiError::forbidden(
            "model_not_allowed",
            format!(
                "model {model:?} is not in tier {}; allowed: {}",
                tier.name,
                if allowed.is_empty() {
                    "none".to_string()
                } else {
                    allowed.join(", ")
                }
            ),
        ));
    }
    let setting = state.settings.llm.model(model).ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "model_unavailable",
            format!("model {model:?} is not served here now"),
        )
    })?;
    let now = now_ms();
    let used = state.store.llm_tokens_since(agent, now - HOUR_MS).await?;
    let budget = i64::try_from(tier.entitlements.llm_tokens_per_hour).unwrap_or(i64::MAX);
    let spent = |used: i64| async move {
        let oldest = state
            .store
            .oldest_llm_call_since(agent, now - HOUR_MS)
            .await?
            .unwrap_or(now);
        let wait = Duration::from_millis((oldest + HOUR_MS - now).max(1000).unsigned_abs());
        Err::<Admitted<'s>, ApiError>(ApiError::too_many_requests(
            "llm_token_budget_spent",
            format!(
                "tier {} allows {budget} tokens an hour; {used} were used in the last hour or \
                 are held by calls in flight",
                tier.name
            ),
            wait,
        ))
    };
    let tokens_left = budget.saturating_sub(used);
    let free = tokens_left
        .saturating_sub(state.llm_reservations.tokens_held(agent))
        .saturating_sub(prompt_worst);
    if free <= 0 {
        return spent(budget - free.min(0)).await;
    }
    let max_tokens = requested_max_tokens.min(free);
    let worst = prompt_worst.saturating_add(max_tokens);
    let price = price_of(state, agent, setting, worst, now).await?;
    let cost = cost_micros(worst, price);
    let balance = if cost > 0 {
        state
            .store
            .agent_ledger_account(agent)
            .await?
            .map_or(0, |(_, balance)| balance)
    } else {
        0
    };
    match state
        .llm_reservations
        .try_reserve(agent, worst, cost, tokens_left, balance)
    {
        Ok(reservation) => Ok(Admitted {
            setting,
            max_tokens,
            reservation,
            price_per_1k_tokens_micros: price,
        }),
        Err(Shortfall::Tokens { .. }) => spent(used).await,
        Err(Shortfall::Funds { free }) => Err(ApiError::new(
            StatusCode::PAYMENT_REQUIRED,
            "insufficient_funds",
            format!(
                "a call of up to {worst} tokens on {model} costs up to {cost} micro-aiDollar; \
                 {free} of the balance is free (calls in flight hold the rest)"
            ),
        )),
    }
}

/// An OpenAI-compatible chat completion, forwarded to the model's upstream and charged by the
/// tokens it reports. With `"stream": true` the answer is the upstream's event stream.
#[utoipa::path(post, path = "/v1/chat/completions", tag = "llm",
    request_body(content = Object, description = "An OpenAI chat completion request"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The upstream's answer (JSON, or text/event-stream)"),
        (status = 402, description = "The balance does not cover the call's worst case (`insufficient_funds`)", body = ErrorBody),
        (status = 403, description = "Agents only (`forbidden_role`), or a model outside the tier (`model_not_allowed`)", body = ErrorBody),
        (status = 413, description = "The body is over `llm.request_bytes_max` bytes (default 1048576; configurable): `body_too_large`", body = ErrorBody),
        (status = 422, description = "Not JSON, or not a chat completion request with a `model`, or tools that a schema-constrained model cannot take (`invalid_body`)", body = ErrorBody),
        (status = 429, description = "Hourly token budget spent (`llm_token_budget_spent`, with `Retry-After`)", body = ErrorBody),
        (status = 502, description = "The upstream failed (`upstream_unavailable`, `upstream_invalid`, `upstream_failed`, `upstream_too_large`)", body = ErrorBody),
        (status = 503, description = "The model is not served (`model_unavailable`)", body = ErrorBody)))]
pub async fn chat_completions(
    principal: Principal,
    State(state): State<AppState>,
    body: Body,
) -> Result<Response, ApiError> {
    let agent = calling_agent(&principal)?;
    let limits = &state.settings.llm;
    let bytes = axum::body::to_bytes(body, limits.request_bytes_max)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("the request is over {} bytes", limits.request_bytes_max),
            )
        })?;
    let mut request: Value = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::unprocessable("invalid_body", format!("not JSON: {e}")))?;
    let Some(fields) = request.as_object_mut() else {
        return Err(ApiError::unprocessable(
            "invalid_body",
            "the body must be a JSON object",
        ));
    };
    let model = fields
        .get("model")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::unprocessable("invalid_body", "`model` (a string) is required"))?
        .to_string();
    let stream = fields.get("stream").and_then(Value::as_bool) == Some(true);
    // `max_completion_tokens` (newer clients) and `max_tokens` both cap the completion; the
    // smaller counts, and only `max_tokens` is forwarded. One choice per call (`n` = 1), so
    // the cap bounds the cost.
    let requested = ["max_tokens", "max_completion_tokens"]
        .iter()
        .filter_map(|key| fields.get(*key).and_then(Value::as_i64))
        .filter(|n| *n > 0)
        .min()
        .unwrap_or(i64::from(limits.default_max_tokens));
    // The prompt's worst case: a token covers at least one byte of the text (byte-level
    // tokenizers), and the JSON around each message is longer than the chat template's
    // markers for it, so the body's bytes bound the prompt's tokens. About four bytes a token
    // would be the usual case, and a prompt of short tokens (digits, symbols) made calls cost
    // twice what was held: the village paid the difference.
    let prompt_worst = i64::try_from(bytes.len())
        .unwrap_or(i64::MAX)
        .saturating_add(PROMPT_TEMPLATE_TOKENS_MAX);
    let admitted = admit(&state, agent, &model, requested, prompt_worst).await?;
    let setting = admitted.setting;
    fields.remove("max_completion_tokens");
    fields.insert("max_tokens".into(), json!(admitted.max_tokens));
    fields.insert("n".into(), json!(1));
    let upstream_model = setting.upstream_model.clone().unwrap_or(model.clone());
    fields.insert("model".into(), json!(upstream_model));
    if stream {
        fields.insert("stream_options".into(), json!({"include_usage": true}));
    }
    let offered = match setting.tool_calls {
        ToolCallMode::Native => None,
        ToolCallMode::JsonSchema => constrain_to_tools(fields)
            .map_err(|e| ApiError::unprocessable("invalid_body", e.to_string()))?,
    };
    let call = FinishedCall {
        agent,
        actor_account_id: principal.account_id.0,
        model,
        tokens: None,
        held_tokens: prompt_worst.saturating_add(admitted.max_tokens),
        price_per_1k_tokens_micros: admitted.price_per_1k_tokens_micros,
        request_id: principal.meta.request_id.clone(),
    };
    let setting = setting.clone();
    let reservation = admitted.reservation;
    // The call runs in a task of its own, so that a client that goes away cannot stop it
    // between the upstream's answer and the charge.
    let (answer_tx, answer_rx) = tokio::sync::oneshot::channel();
    let task_state = state.clone();
    tokio::spawn(async move {
        let answer = run_call(
            task_state,
            setting,
            request,
            call,
            stream,
            offered,
            reservation,
        )
        .await;
        let _ = answer_tx.send(answer);
    });
    answer_rx
        .await
        .map_err(|_| ApiError::internal("the LLM call's task ended without an answer"))?
}
