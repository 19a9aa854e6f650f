//! The part of a PayPal webhook event the village reads: its id, its type, and for a completed
//! capture the transaction id, the amount and which agent it is for (`custom_id: "agent:<id>"`,
//! set at checkout).

use serde::Deserialize;
use shared::AgentId;

/// The event type that credits an agent; others are acknowledged and ignored.
pub const CAPTURE_COMPLETED: &str = "PAYMENT.CAPTURE.COMPLETED";

/// A webhook event.
#[derive(Debug, Deserialize)]
pub struct PaypalEvent {
    pub id: String,
    pub event_type: String,
    #[serde(default)]
    pub resource: Option<Capture>,
}

/// A capture (`resource` of `PAYMENT.CAPTURE.COMPLETED`).
#[derive(Debug, Deserialize)]
pub struct Capture {
    /// The transaction id.
    pub id: String,
    pub amount: Amount,
    pub custom_id: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Amount {
    pub currency_code: String,
    /// A decimal string, e.g. `"10.00"`.
    pub value: String,
}

impl Capture {
    /// The agent named by `custom_id`.
    pub fn agent(&self) -> Option<AgentId> {
        self.custom_id
            .as_deref()?
            .strip_prefix("agent:")?
            .parse()
            .ok()
            .map(AgentId)
    }

    /// The amount in micro-aiDollar at `micros_per_usd`, for USD amounts with at most two
    /// decimals; `None` for anything else (another currency, a bad number, zero, overflow).
    pub fn credit_micros(&self, micros_per_usd: i64) -> Option<i64> {
        if self.amount.currency_code != "USD" {
            return None;
        }
        let (whole, cents) = match self.amount.value.split_once('.') {
            Some((whole, cents)) if cents.len() <= 2 && !cents.is_empty() => (whole, cents),
            None => (self.amount.value.as_str(), "0"),
            _ => return None,
        };
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if !cents.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let cents_total = whole
            .parse::<i64>()
            .ok()?
            .checked_mul(100)?
            .checked_add(format!("{cents:0<2}").parse::<i64>().ok()?)?;
        let micros = i128::from(cents_total) * i128::from(micros_per_usd) / 100;
        i64::try_from(micros).ok().filter(|m| *m > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn capture(currency: &str, value: &str, custom: Option<&str>) -> Capture {
        Capture {
            id: "TX".into(),
            amount: Amount {
                currency_code: currency.into(),
                value: value.into(),
            },
            custom_id: custom.map(String::from),
        }
    }

    #[test]
    fn usd_amounts_convert_exactly_and_anything_else_is_refused() {
        // Dollars and cents convert at the rate; other currencies, bad numbers, zero and
        // overflow give nothing; the agent comes from custom_id.
        let rate = 1_000_000;
        assert_eq!(
            capture("USD", "10.00", None).credit_micros(rate),
            Some(10_000_000)
        );
        assert_eq!(
            capture("USD", "0.5", None).credit_micros(rate),
            Some(500_000)
        );
        assert_eq!(
            capture("USD", "3", None).credit_micros(rate),
            Some(3_000_000)
        );
        for bad in [
            "0.00",
            "-1.00",
            "1.234",
            "1e3",
            "",
            ".5",
            "1.",
            "99999999999999999999",
        ] {
            assert_eq!(capture("USD", bad, None).credit_micros(rate), None, "{bad}");
        }
        assert_eq!(capture("EUR", "10.00", None).credit_micros(rate), None);
        assert_eq!(
            capture("USD", "1", Some("agent:17")).agent(),
            Some(AgentId(17))
        );
        assert_eq!(capture("USD", "1", Some("17")).agent(), None);
    }
}
