//! After an LLM call: charge its tokens to the agent through the ledger (an `llm_usage`
//! transfer, agent → sink) and record the call in `llm_usage`. A balance never goes below zero
//! for this: when the agent cannot pay the whole cost, it pays what it has and the rest is
//! recorded as uncollected (and counted in `village_llm_uncollected_micros`: only another
//! debit racing the call can cause it, since a call is charged at most what it held). A call
//! whose upstream reported no usage is charged and counted at its reserved worst case.

use shared::AgentId;

use super::usage::Tokens;
use crate::clock::now_ms;
use crate::economy::Ledger;
use crate::economy::{AccountRef, TransferCode, TransferError, TransferRequest};
use crate::metrics::Metrics;
use crate::store::{LlmUsage, Store};

/// One finished call, to settle.
#[derive(Debug, Clone)]
pub struct FinishedCall {
    pub agent: AgentId,
    pub actor_account_id: u64,
    /// The model name the agent asked for.
    pub model: String,
    /// What the upstream reported; `None` when it reported nothing.
    pub tokens: Option<Tokens>,
    /// The call's worst case, held before it was forwarded: charged and counted when the
    /// upstream answered but reported no usage (a stream cut short, an unreadable answer),
    /// and the most it is charged for whatever the upstream reports.
    pub held_tokens: i64,
    pub price_per_1k_tokens_micros: i64,
    pub request_id: String,
}

/// The cost of `total_tokens` at `price_per_1k` micro-aiDollar, rounded up.
pub fn cost_micros(total_tokens: i64, price_per_1k: i64) -> i64 {
    let cost = (i128::from(total_tokens.max(0)) * i128::from(price_per_1k.max(0)) + 999) / 1000;
    i64::try_from(cost).unwrap_or(i64::MAX)
}

/// What settling a call writes to: the ledger, the store and the gateway's counters
/// (`AppState::llm_meter` hands them out).
pub struct MeterOutlets<'a> {
    pub ledger: &'a Ledger,
    pub store: &'a Store,
    pub metrics: &'a Metrics,
}

/// Charges and records `call`; returns what was recorded. Failures to charge are logged and
/// leave the call recorded as uncollected; a failure to record is logged.
pub async fn settle(state: &MeterOutlets<'_>, call: FinishedCall) -> LlmUsage {
    let tokens = call.tokens.unwrap_or(Tokens {
        prompt: 0,
        completion: 0,
        cached: 0,
        total: call.held_tokens,
    });
    // Never more than was held: the balance was checked against the hold, so the charge
    // always fits (tokens over it still count against the hour's budget).
    let cost = cost_micros(
        tokens.total.min(call.held_tokens),
        call.price_per_1k_tokens_micros,
    );
    let mut charged = 0;
    let mut transfer_id = None;
    if cost > 0 {
        let id = format!(
            "llm-{:016x}{:016x}",
            rand::random::<u64>(),
            rand::random::<u64>()
        );
        let charge = |id: String, amount: i64, memo: String| TransferRequest {
            actor_account_id: Some(call.actor_account_id),
            actor_role: "agent".into(),
            memo,
            request_id: call.request_id.clone(),
            ..TransferRequest::new(
                id,
                (AccountRef::Agent(call.agent), AccountRef::Sink),
                amount,
                TransferCode::LlmUsage,
                "economy.llm_usage",
            )
        };
        let memo = format!("{}: {} tokens", call.model, tokens.total);
        match state.ledger.transfer(charge(id.clone(), cost, memo)).await {
            Ok(_) => {
                charged = cost;
                transfer_id = Some(id);
            }
            Err(TransferError::InsufficientFunds { balance_micros, .. }) if balance_micros > 0 => {
                let memo = format!(
                    "{}: {} tokens, {} micro-aiDollar uncollected",
                    call.model,
                    tokens.total,
                    cost - balance_micros
                );
                let part = format!("{id}-p");
                match state
                    .ledger
                    .transfer(charge(part.clone(), balance_micros, memo))
                    .await
                {
                    Ok(_) => {
                        charged = balance_micros;
                        transfer_id = Some(part);
                    }
                    Err(error) => tracing::warn!(%error, "could not charge an LLM call"),
                }
            }
            Err(TransferError::InsufficientFunds { .. }) => {}
            Err(error) => tracing::warn!(%error, "could not charge an LLM call"),
        }
    }
    state
        .metrics
        .llm_tokens
        .inc_by(u64::try_from(tokens.total).unwrap_or(0));
    state
        .metrics
        .llm_uncollected_micros
        .inc_by(u64::try_from(cost - charged).unwrap_or(0));
    let usage = LlmUsage {
        agent: call.agent,
        model: call.model,
        prompt_tokens: tokens.prompt,
        completion_tokens: tokens.completion,
        total_tokens: tokens.total,
        metered: call.tokens.is_some(),
        cost_micros: cost,
        charged_micros: charged,
        transfer_id,
        request_id: call.request_id,
        at_ms: now_ms(),
    };
    if let Err(error) = state.store.insert_llm_usage(&usage).await {
        tracing::error!(%error, agent = %usage.agent, "could not record an LLM call");
    }
    usage
}

#[cfg(test)]
mod tests {
    use super::cost_micros;

    #[test]
    fn costs_round_up_and_never_overflow() {
        // A part of 1,000 tokens costs a whole micro; huge counts saturate instead of wrapping.
        assert_eq!(cost_micros(0, 500), 0);
        assert_eq!(cost_micros(1, 500), 1);
        assert_eq!(cost_micros(2_000, 500), 1_000);
        assert_eq!(cost_micros(20, 0), 0);
        assert_eq!(cost_micros(i64::MAX, i64::MAX), i64::MAX);
    }
}
