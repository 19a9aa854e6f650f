//! The webhook signature: HMAC-SHA256 with the shared secret over `"<timestamp>.<raw body>"`,
//! sent as `X-Webhook-Timestamp: <unix seconds>` and `X-Webhook-Signature: sha256=<hex>`.
//! Signing the timestamp with the body means an old delivery cannot be replayed with a fresh
//! time, and the tolerance bounds how long a captured one stays usable at all.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use thiserror::Error;

type HmacSha256 = Hmac<Sha256>;

/// Why a delivery's signature was refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum SignatureError {
    #[error("X-Webhook-Timestamp and X-Webhook-Signature: sha256=<hex> are required")]
    Missing,
    #[error("the timestamp is {age_s} s from now; at most {tolerance_s} s are accepted")]
    Stale { age_s: i64, tolerance_s: u64 },
    #[error("the signature does not match the body")]
    Mismatch,
}

/// The signature of `body` sent at `timestamp`, as lowercase hex.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    mac_of(secret, timestamp, body)
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn mac_of(secret: &[u8], timestamp: i64, body: &[u8]) -> HmacSha256 {
    // An HMAC takes a key of any length, so this cannot fail.
    #[allow(clippy::expect_used)]
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

fn hex_bytes(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Checks a delivery: the timestamp within `tolerance_s` of `now_s`, then the signature (in
/// constant time).
pub fn verify(
    secret: &[u8],
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now_s: i64,
    tolerance_s: u64,
) -> Result<(), SignatureError> {
    let timestamp: i64 = timestamp
        .and_then(|t| t.trim().parse().ok())
        .ok_or(SignatureError::Missing)?;
    let expected = signature
        .and_then(|s| s.trim().strip_prefix("sha256="))
        .and_then(hex_bytes)
        .ok_or(SignatureError::Missing)?;
    let age_s = now_s.saturating_sub(timestamp);
    if age_s.unsigned_abs() > tolerance_s {
        return Err(SignatureError::Stale { age_s, tolerance_s });
    }
    mac_of(secret, timestamp, body)
        .verify_slice(&expected)
        .map_err(|_| SignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_fresh_signature_over_the_same_body_and_time_passes() {
        // The right signature passes; another body, another time, another secret, a stale or
        // future time, and missing or malformed headers are each refused.
        let secret = b"shared secret";
        let body = br#"{"id":"WH-1"}"#;
        let signature = format!("sha256={}", sign(secret, 1_000, body));
        let check = |secret: &[u8], t: &str, sig: &str, body: &[u8], now: i64| {
            verify(secret, Some(t), Some(sig), body, now, 300)
        };
        assert_eq!(check(secret, "1000", &signature, body, 1_100), Ok(()));
        assert_eq!(
            check(secret, "1000", &signature, b"{}", 1_100),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            check(secret, "1001", &signature, body, 1_100),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            check(b"other", "1000", &signature, body, 1_100),
            Err(SignatureError::Mismatch)
        );
        assert!(matches!(
            check(secret, "1000", &signature, body, 1_301),
            Err(SignatureError::Stale { .. })
        ));
        assert!(matches!(
            check(secret, "1000", &signature, body, 699),
            Err(SignatureError::Stale { .. })
        ));
        assert_eq!(
            check(secret, "1000", "sha256=zz", body, 1_100),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            check(secret, "x", &signature, body, 1_100),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify(secret, None, Some(&signature), body, 1_100, 300),
            Err(SignatureError::Missing)
        );
    }
}
