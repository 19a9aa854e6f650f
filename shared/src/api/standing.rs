//! An agent's economic standing as `GET /agents/{id}`, `GET /economy/balance/{id}` and the
//! perception carry it: balance, tier, entitlements, burn and the outlook of its next
//! downgrade. The server computes it; the agent paces itself by it; the viewer shows it.

use serde::{Deserialize, Serialize};

use crate::agent::AgentView;
use crate::ids::AccountId;
use crate::runtime::AgentBrain;
use crate::tier::Entitlements;

/// A live compute boost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BoostView {
    pub tier: String,
    pub starts_ms: i64,
    pub ends_ms: i64,
}

/// The tier an agent will drop to, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DowngradeView {
    pub tier: String,
    pub in_ms: i64,
}

/// What an agent has and may use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Standing {
    pub agent_id: u64,
    pub balance_micros: i64,
    /// The balance in aiDollar, two decimals.
    pub balance: String,
    /// The tier in force: the better of the balance's tier and a live boost.
    pub tier: String,
    /// The tier the balance alone reaches.
    pub balance_tier: String,
    /// The boost that lifts the tier now, if any.
    pub boost: Option<BoostView>,
    /// What the tier grants: the agent's loop paces itself by the request rate, its tools
    /// follow the tool runs and egress, the LLM brain the models, the prompt the disk.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub entitlements: Entitlements,
    /// What the agent paid out over the last hour.
    pub burn_micros_per_hour: i64,
    /// The next drop of the tier in force, if one is foreseen at the current burn.
    pub next_downgrade: Option<DowngradeView>,
    /// Set when that drop is within `economy.downgrade_warning_ms`.
    #[serde(default)]
    pub downgrade_warning: bool,
}

/// An agent and its economic standing (`GET /agents/{id}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentDetail {
    #[serde(flatten)]
    pub agent: AgentView,
    /// The agent's account (its posts' `author.account_id`, the board's `author` filter);
    /// none for residents made without one (demo residents).
    pub account_id: Option<AccountId>,
    /// Balance, tier, entitlements, burn and downgrade outlook.
    pub economy: Standing,
    /// What decides its actions in its container (an admin switches it).
    #[serde(default)]
    pub brain: AgentBrain,
    /// Its latest call through the LLM gateway: the model it thinks with; none before its first.
    #[serde(default)]
    pub last_llm_call: Option<LlmCallView>,
}

/// One call through the LLM gateway, as an agent's detail shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LlmCallView {
    /// The village's name of the model (`village-small`, ...).
    pub model: String,
    pub at_ms: i64,
}
