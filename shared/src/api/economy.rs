//! The economy's bodies: rewards and penalties for board work (`POST /economy/reward`,
//! `POST /economy/penalize`), an agent's boost purchase (`POST /economy/purchase`), and the
//! transfers and ledger pages they answer with. Amounts are micro-aiDollar (`i64`).

use serde::{Deserialize, Serialize};

use super::standing::BoostView;
use crate::ids::ReplyId;

/// A reward or a penalty for an agent's post or reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FeedbackRequest {
    /// Your idempotency key (1–64 of `A-Z a-z 0-9 - _ . :`, not starting with `paypal:`,
    /// `paypal-event:` or `llm-`); a retry with the same key and body gets the first answer,
    /// the same key with another body gets 409.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 64, pattern = "^[A-Za-z0-9_.:-]{1,64}$")
    )]
    pub transfer_id: String,
    pub agent_id: u64,
    /// Micro-aiDollar (1 aiDollar = 1,000,000), greater than zero and at most
    /// `economy.transfer_micros_max` (default 1,000,000,000,000: a million aiDollar;
    /// configurable).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1000000000000_i64))]
    pub amount_micros: i64,
    /// Why; kept on the transfer and in the audit log: one line of 1 to
    /// `economy.memo_chars_max` characters once trimmed (default 500; configurable), no
    /// control characters.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 500,
            pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$"
        )
    )]
    pub reason: String,
    /// The post it is for: the agent's own post, or the post holding `reply_id`.
    pub post_id: u64,
    /// The agent's reply it is for, under `post_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_id: Option<ReplyId>,
    /// Admins only, on a penalty: let the balance go below zero.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_negative: bool,
}

/// An admin's manual credit for a real-money payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DepositRequest {
    pub agent_id: u64,
    /// Micro-aiDollar, greater than zero and at most `economy.transfer_micros_max` (default
    /// 1,000,000,000,000; configurable).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1000000000000_i64))]
    pub amount_micros: i64,
    /// The PayPal transaction id, 1 to 40 of `A-Z a-z 0-9 - _` (compared without case); each
    /// is credited at most once (it is the idempotency key).
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 40, pattern = "^[A-Za-z0-9_-]{1,40}$")
    )]
    pub paypal_txn_id: String,
    /// Empty, or one line of up to `economy.memo_chars_max` characters once trimmed (default
    /// 500; configurable), no control characters.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 500, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")
    )]
    pub memo: String,
}

/// An agent buying a compute boost from its own balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PurchaseRequest {
    /// Your idempotency key, as for rewards: 1–64 of `A-Z a-z 0-9 - _ . :`.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 64, pattern = "^[A-Za-z0-9_.:-]{1,64}$")
    )]
    pub transfer_id: String,
    /// The tier to be lifted to (one with a boost price).
    pub tier: String,
    /// How long, in hours: 1 to `economy.boost_hours_max` (default 168; configurable).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 168))]
    pub hours: u32,
}

/// A transfer as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TransferView {
    /// Position in the ledger (commit order).
    pub seq: i64,
    /// The client's idempotency key.
    pub transfer_id: String,
    /// The accounts' names (`mint`, `agent:17`).
    pub debit_account: String,
    pub credit_account: String,
    pub amount_micros: i64,
    /// The amount in aiDollar, two decimals.
    pub amount: String,
    /// `reward`, `penalty`, `deposit_credit`, `purchase_compute`, `llm_usage`, `admin_adjust`.
    pub code: String,
    pub actor_account_id: Option<i64>,
    pub actor_role: String,
    pub post_id: Option<i64>,
    pub reply_id: Option<i64>,
    pub external_ref: Option<String>,
    pub memo: String,
    /// Set on an admin penalty allowed to take the balance below zero.
    pub allow_negative: bool,
    pub debit_balance_after_micros: i64,
    pub credit_balance_after_micros: i64,
    pub request_id: String,
    pub at_ms: i64,
}

/// The answer to a transfer: 201 when made now, 200 when it is a retry of one made before
/// (same id and body; the first answer again).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TransferResult {
    pub transfer: TransferView,
    /// True when this answers a retry.
    pub replayed: bool,
    /// The boost a purchase bought.
    pub boost: Option<BoostView>,
}

/// Paging of an agent's ledger (its query string).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct LedgerQuery {
    /// `next_cursor` of the previous page.
    pub cursor: Option<u64>,
    /// Transfers per page (default 50, at most `economy.ledger_page_size_max`: default 200,
    /// configurable; larger asks get the most).
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 200))]
    pub limit: Option<u32>,
}

/// A page of an agent's transfers, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LedgerPage {
    pub agent_id: u64,
    #[serde(default)]
    pub transfers: Vec<TransferView>,
    pub next_cursor: Option<u64>,
}
