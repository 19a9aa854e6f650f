//! What a caller asks the ledger writer to do ([`TransferRequest`]) and what it answers
//! ([`Committed`] or [`TransferError`]). Plain data: the rules live in the writer.

use shared::AgentId;
use thiserror::Error;

use crate::store::{
    BoostRecord, DEPOSITS_ACCOUNT, ESCROW_ACCOUNT, MINT_ACCOUNT, SINK_ACCOUNT, StoreError,
    TransferRecord,
};

/// Why money moves. Stored as its `as_str`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferCode {
    Reward,
    Penalty,
    DepositCredit,
    PurchaseCompute,
    LlmUsage,
    AdminAdjust,
}

impl TransferCode {
    pub fn as_str(self) -> &'static str {
        match self {
            TransferCode::Reward => "reward",
            TransferCode::Penalty => "penalty",
            TransferCode::DepositCredit => "deposit_credit",
            TransferCode::PurchaseCompute => "purchase_compute",
            TransferCode::LlmUsage => "llm_usage",
            TransferCode::AdminAdjust => "admin_adjust",
        }
    }
}

/// One side of a transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccountRef {
    Agent(AgentId),
    /// Where rewards come from.
    Mint,
    /// Where penalties and purchases go.
    Sink,
    /// The counterpart of real-money credit.
    Deposits,
    /// Reserved for held funds.
    Escrow,
}

impl AccountRef {
    /// The fixed id of a system account; `None` for an agent's (looked up by the writer).
    pub fn system_id(self) -> Option<i64> {
        match self {
            AccountRef::Agent(_) => None,
            AccountRef::Mint => Some(MINT_ACCOUNT),
            AccountRef::Sink => Some(SINK_ACCOUNT),
            AccountRef::Deposits => Some(DEPOSITS_ACCOUNT),
            AccountRef::Escrow => Some(ESCROW_ACCOUNT),
        }
    }

    /// The account's name in the ledger.
    pub fn name(self) -> String {
        match self {
            AccountRef::Agent(agent) => crate::store::agent_account_name(agent),
            AccountRef::Mint => "mint".into(),
            AccountRef::Sink => "sink".into(),
            AccountRef::Deposits => "deposits".into(),
            AccountRef::Escrow => "escrow".into(),
        }
    }
}

/// Whose daily budget a transfer counts against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BudgetKey {
    /// One account's own budget.
    Account(u64),
    /// A pool shared by every account of a role (so that new accounts cannot add up to an
    /// unbounded amount).
    Role(String),
    /// A pool shared by every person's account made at or after `created_since_ms` (the new
    /// ones): puppet accounts made in bulk share it, and cannot spend the pool of everyone.
    NewAccounts { created_since_ms: i64 },
}

impl BudgetKey {
    fn describe(&self) -> String {
        match self {
            BudgetKey::Account(_) => "your daily budget".into(),
            BudgetKey::Role(role) => format!("the daily pool shared by every {role}"),
            BudgetKey::NewAccounts { .. } => "the daily pool shared by every new account".into(),
        }
    }
}

/// A daily budget (UTC day) for rewards and penalties: what its key may move per day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Budget {
    pub key: BudgetKey,
    pub limit_micros: i64,
}

impl Budget {
    /// The refusal when `used` of it is spent.
    pub fn exceeded(&self, used: i64) -> TransferError {
        TransferError::BudgetExceeded {
            scope: self.key.describe(),
            remaining_micros: (self.limit_micros - used).max(0),
            limit_micros: self.limit_micros,
        }
    }
}

/// A boost bought with the transfer (code `purchase_compute`): `tier` for `duration_ms`,
/// starting now or, when a boost of the same tier is still running, when it ends.
#[derive(Debug, Clone, PartialEq)]
pub struct BoostOrder {
    pub agent: AgentId,
    pub tier: String,
    pub duration_ms: i64,
}

/// One transfer to make. Checked for shape by the caller (amount > 0, sizes); the writer
/// checks idempotency, funds, the daily budget and overflow, atomically with the write.
#[derive(Debug, Clone)]
pub struct TransferRequest {
    /// The client's idempotency key: 1–64 characters.
    pub transfer_id: String,
    pub debit: AccountRef,
    pub credit: AccountRef,
    pub amount_micros: i64,
    pub code: TransferCode,
    pub actor_account_id: Option<u64>,
    /// The actor's role, or `system`.
    pub actor_role: String,
    pub post_id: Option<u64>,
    pub reply_id: Option<u64>,
    /// A provider's reference, credited at most once (a PayPal transaction id).
    pub external_ref: Option<String>,
    pub memo: String,
    /// Only for an admin penalty: the debited agent may go below zero.
    pub allow_negative: bool,
    /// The daily budgets (UTC day) it counts against, for rewards and penalties.
    pub budgets: Vec<Budget>,
    pub boost: Option<BoostOrder>,
    /// The audit action, e.g. `economy.reward`.
    pub audit_action: &'static str,
    pub request_id: String,
}

/// A transfer that is in the ledger, durably.
#[derive(Debug, Clone, PartialEq)]
pub struct Committed {
    pub transfer: TransferRecord,
    /// The boost it bought, for `purchase_compute`.
    pub boost: Option<BoostRecord>,
    /// True when this was an earlier transfer with the same id and body, answered again.
    pub replayed: bool,
}

/// Why a transfer was not made. Nothing was written.
#[derive(Debug, Error)]
pub enum TransferError {
    #[error("transfer id {0:?} was already used for a different transfer")]
    IdReused(String),
    #[error("{0:?} was already credited by transfer {1:?}")]
    ExternalRefUsed(String, String),
    #[error(
        "insufficient funds: the balance is {balance_micros} micro-aiDollar, {needed_micros} needed"
    )]
    InsufficientFunds {
        balance_micros: i64,
        needed_micros: i64,
    },
    #[error("{scope} is spent: {remaining_micros} of {limit_micros} micro-aiDollar left today")]
    BudgetExceeded {
        scope: String,
        remaining_micros: i64,
        limit_micros: i64,
    },
    #[error("the balance would overflow")]
    Overflow,
    #[error("unknown agent {0}")]
    UnknownAgent(AgentId),
    /// The database refused it (a constraint: a post that vanished, a field out of bounds).
    #[error("the ledger refused the transfer: {0}")]
    Refused(String),
    #[error("the ledger is not taking transfers (shutting down or overloaded)")]
    Unavailable,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl TransferRequest {
    /// A transfer by the server itself (actor `system`), with no post, reference, memo, flag,
    /// budget or boost: set those with struct update syntax.
    pub fn new(
        transfer_id: impl Into<String>,
        (debit, credit): (AccountRef, AccountRef),
        amount_micros: i64,
        code: TransferCode,
        audit_action: &'static str,
    ) -> TransferRequest {
        TransferRequest {
            transfer_id: transfer_id.into(),
            debit,
            credit,
            amount_micros,
            code,
            actor_account_id: None,
            actor_role: "system".into(),
            post_id: None,
            reply_id: None,
            external_ref: None,
            memo: String::new(),
            allow_negative: false,
            budgets: Vec::new(),
            boost: None,
            audit_action,
            request_id: String::new(),
        }
    }

    /// Whether `stored` is this same transfer (a retry): every field the client chose matches.
    pub fn same_body_as(&self, stored: &TransferRecord, debit_id: i64, credit_id: i64) -> bool {
        stored.debit_account_id == debit_id
            && stored.credit_account_id == credit_id
            && stored.amount_micros == self.amount_micros
            && stored.code == self.code.as_str()
            && stored.actor_account_id == self.actor_account_id.map(crate::store::id_to_db)
            && stored.post_id == self.post_id.map(crate::store::id_to_db)
            && stored.reply_id == self.reply_id.map(crate::store::id_to_db)
            && stored.external_ref == self.external_ref
            && stored.memo == self.memo
            && stored.allow_negative == self.allow_negative
    }
}
