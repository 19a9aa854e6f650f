//! The `[payments]` section: the webhook's shared secret, its time tolerance, and what a US
//! dollar buys. Types only; `config.rs` loads them. The secret is redacted from `Debug`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The `[payments]` section.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PaymentsSettings {
    /// The HMAC secret shared with the payment relay; unset: the webhook answers 503.
    pub paypal_webhook_secret: Option<String>,
    /// How far a delivery's timestamp may be from now.
    pub webhook_tolerance_s: u64,
    /// Micro-aiDollar credited per US dollar paid.
    pub aidollar_micros_per_usd: i64,
}

impl Default for PaymentsSettings {
    fn default() -> Self {
        Self {
            paypal_webhook_secret: None,
            webhook_tolerance_s: 300,
            aidollar_micros_per_usd: 1_000_000,
        }
    }
}

impl PaymentsSettings {
    /// Checks the section; the error says which key is wrong.
    pub fn validate(&self) -> Result<(), String> {
        if self.aidollar_micros_per_usd <= 0 || self.webhook_tolerance_s == 0 {
            return Err(
                "payments.aidollar_micros_per_usd and webhook_tolerance_s must be positive".into(),
            );
        }
        if self
            .paypal_webhook_secret
            .as_ref()
            .is_some_and(|s| s.len() < 16)
        {
            return Err("payments.paypal_webhook_secret must be at least 16 bytes".into());
        }
        Ok(())
    }
}

impl fmt::Debug for PaymentsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PaymentsSettings")
            .field(
                "paypal_webhook_secret",
                &self.paypal_webhook_secret.as_ref().map(|_| "***"),
            )
            .field("webhook_tolerance_s", &self.webhook_tolerance_s)
            .field("aidollar_micros_per_usd", &self.aidollar_micros_per_usd)
            .finish()
    }
}
