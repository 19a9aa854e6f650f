//! The LLM brain's pause after a failed gateway call: the model passed over when the gateway
//! does not serve it, and no call before a pause that doubles with each failure in a row. A
//! child of `llm_brain.rs`, which owns the brain's state.

use std::time::Duration;

use tokio::time::Instant;

use super::{LLM_PAUSE_MAX, LlmBrain, PAUSE_DOUBLINGS_MAX, UNSERVED_CODES};
use crate::brain::DecideAct;
use crate::client::ClientError;

impl LlmBrain {
    /// Notes a failed gateway call: the model passed over when it is not served, the pause
    /// before the next call; answers the act to remember.
    pub(super) fn call_failed(
        &mut self,
        error: &ClientError,
        step: u64,
        round: usize,
    ) -> DecideAct {
        let code = error.code().to_string();
        if UNSERVED_CODES.contains(&code.as_str()) {
            // The next step asks for the next best model the tier lists.
            self.unserved.insert(self.model.clone());
        }
        tracing::warn!(step, round, model = %self.model, %error, "the LLM call failed");
        self.failures = self.failures.saturating_add(1);
        let pause = llm_pause(self.pause_min, self.failures, error.retry_after());
        self.paused_until = Some(Instant::now() + pause);
        DecideAct {
            kind: "llm",
            error: Some(code),
        }
    }
}

/// The pause before the next call after `failures` failed calls in a row: `min` doubled per
/// failure after the first, at least `retry_after`, at most [`LLM_PAUSE_MAX`].
pub fn llm_pause(min: Duration, failures: u32, retry_after: Option<Duration>) -> Duration {
    let doublings = failures.saturating_sub(1).min(PAUSE_DOUBLINGS_MAX);
    let backoff = min.saturating_mul(1 << doublings);
    backoff
        .max(retry_after.unwrap_or_default())
        .min(LLM_PAUSE_MAX)
}
