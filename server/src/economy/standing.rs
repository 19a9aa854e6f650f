//! An agent's economic standing: balance, tier, entitlements, burn over the last hour and the
//! outlook of its next downgrade, as `GET /agents/{id}`, `GET /economy/balance/{id}` and the
//! perception carry it. Read from committed data; the tier math is `shared::tier`'s.

use serde::Serialize;
use shared::AgentId;
use shared::money::format_aidollar;
use shared::tier::{Boost, Entitlements, TierTable};
use utoipa::ToSchema;

use crate::store::{BoostRecord, Store, StoreError};

/// The window over which the burn rate is measured.
pub const BURN_WINDOW_MS: i64 = 3_600_000;

/// A live compute boost.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct BoostView {
    pub tier: String,
    pub starts_ms: i64,
    pub ends_ms: i64,
}

/// The tier an agent will drop to, and when.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DowngradeView {
    pub tier: String,
    pub in_ms: i64,
}

/// What an agent has and may use.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
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
    #[schema(value_type = Object)]
    pub entitlements: Entitlements,
    /// What the agent paid out over the last hour.
    pub burn_micros_per_hour: i64,
    /// The next drop of the tier in force, if one is foreseen at the current burn.
    pub next_downgrade: Option<DowngradeView>,
    /// Set when that drop is within `economy.downgrade_warning_ms`.
    pub downgrade_warning: bool,
}

/// Reads an agent's standing at `now_ms`. An agent with no transfers yet has balance 0.
pub async fn read_standing(
    store: &Store,
    tiers: &TierTable,
    agent: AgentId,
    now_ms: i64,
    warn_within_ms: i64,
) -> Result<Standing, StoreError> {
    let (balance, burn) = match store.agent_ledger_account(agent).await? {
        Some((account, balance)) => (
            balance,
            store
                .agent_debits_since(account, now_ms - BURN_WINDOW_MS)
                .await?,
        ),
        None => (0, 0),
    };
    let boosts = store.live_boosts(agent, now_ms).await?;
    Ok(standing_of(
        tiers,
        agent,
        balance,
        burn,
        &boosts,
        now_ms,
        warn_within_ms,
    ))
}

/// The standing from its parts (pure: tests and the tier watcher use it too).
pub fn standing_of(
    tiers: &TierTable,
    agent: AgentId,
    balance_micros: i64,
    burn_micros_per_hour: i64,
    boosts: &[BoostRecord],
    now_ms: i64,
    warn_within_ms: i64,
) -> Standing {
    // The boost that counts: the highest-ranked one running now (later ones do not lift yet).
    let live = boosts
        .iter()
        .filter(|b| b.starts_ms <= now_ms && now_ms < b.ends_ms)
        .filter_map(|b| tiers.by_name(&b.tier).map(|rank| (rank, b)))
        .max_by_key(|(rank, b)| (*rank, b.ends_ms));
    let boost = live.map(|(tier, b)| Boost {
        tier,
        ends_ms: b.ends_ms,
    });
    let balance_tier = tiers.balance_tier(balance_micros);
    let tier = tiers.effective_tier(balance_micros, boost.as_ref(), now_ms);
    let outlook = tiers.downgrade_outlook(
        balance_micros,
        burn_micros_per_hour,
        boost.as_ref(),
        now_ms,
        warn_within_ms,
    );
    let next_downgrade = outlook
        .next_tier
        .zip(outlook.in_ms)
        .map(|(next, in_ms)| DowngradeView {
            tier: tiers.get(next).name.clone(),
            in_ms,
        });
    Standing {
        agent_id: agent.0,
        balance_micros,
        balance: format_aidollar(balance_micros),
        tier: tiers.get(tier).name.clone(),
        balance_tier: tiers.get(balance_tier).name.clone(),
        boost: live
            .filter(|(rank, _)| *rank > balance_tier)
            .map(|(_, b)| BoostView {
                tier: b.tier.clone(),
                starts_ms: b.starts_ms,
                ends_ms: b.ends_ms,
            }),
        entitlements: tiers.get(tier).entitlements.clone(),
        burn_micros_per_hour,
        next_downgrade,
        downgrade_warning: outlook.warning,
    }
}
