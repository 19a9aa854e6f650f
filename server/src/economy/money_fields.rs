//! The fields of a money request, checked before anything reaches the ledger: a client's
//! idempotency key, an amount, a PayPal transaction id. Each refusal is a [`MoneyFieldError`].

use shared::money::format_aidollar;

/// Longest transfer id.
pub const TRANSFER_ID_CHARS_MAX: usize = 64;
/// Longest PayPal transaction id of a deposit.
pub const TXN_ID_CHARS_MAX: usize = 40;

/// Prefixes of the ids the server makes itself (deposits, webhook events, LLM charges): a
/// client's id may not start with one, or it could block or pre-empt those.
const RESERVED_ID_PREFIXES: [&str; 3] = ["paypal:", "paypal-event:", "llm-"];

/// Why a money field was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyFieldError {
    #[error("transfer ids starting with {} are the server's own", RESERVED_ID_PREFIXES.join(", "))]
    ReservedTransferId,
    #[error("transfer_id must be 1-64 characters of A-Z a-z 0-9 - _ . :")]
    InvalidTransferId,
    #[error("amount_micros must be greater than zero")]
    AmountNotPositive,
    #[error("amount_micros may be at most {max} ({} aiDollar)", format_aidollar(*.max))]
    AmountTooLarge { max: i64 },
    #[error("paypal_txn_id must be 1-40 characters of A-Z a-z 0-9 - _")]
    InvalidTxnId,
}

/// A client's transfer id: 1 to [`TRANSFER_ID_CHARS_MAX`] of `A-Z a-z 0-9 - _ . :`, not one
/// of the server's own prefixes.
pub fn check_transfer_id(id: &str) -> Result<(), MoneyFieldError> {
    if RESERVED_ID_PREFIXES.iter().any(|p| id.starts_with(p)) {
        return Err(MoneyFieldError::ReservedTransferId);
    }
    let fits = !id.is_empty()
        && id.len() <= TRANSFER_ID_CHARS_MAX
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b));
    fits.then_some(()).ok_or(MoneyFieldError::InvalidTransferId)
}

/// An amount: greater than zero and at most `max` micro-aiDollar.
pub fn check_amount(amount_micros: i64, max: i64) -> Result<(), MoneyFieldError> {
    if amount_micros <= 0 {
        return Err(MoneyFieldError::AmountNotPositive);
    }
    if amount_micros > max {
        return Err(MoneyFieldError::AmountTooLarge { max });
    }
    Ok(())
}

/// A PayPal transaction id as the ledger keys it: trimmed and upper-cased (ids are compared
/// without case, as the webhook does, so one payment cannot be credited twice under two
/// spellings), 1 to [`TXN_ID_CHARS_MAX`] of `A-Z 0-9 - _`.
pub fn checked_txn_id(txn: &str) -> Result<String, MoneyFieldError> {
    let txn = txn.trim().to_ascii_uppercase();
    let fits = (1..=TXN_ID_CHARS_MAX).contains(&txn.len())
        && txn
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    fits.then_some(txn).ok_or(MoneyFieldError::InvalidTxnId)
}
