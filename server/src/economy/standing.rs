//! An agent's economic standing: balance, tier, entitlements, burn over the last hour and the
//! outlook of its next downgrade, as `GET /agents/{id}`, `GET /economy/balance/{id}` and the
//! perception carry it. Read from committed data; the tier math is `shared::tier`'s.

use shared::AgentId;
use shared::api::{BoostView, DowngradeView, Standing, TransferView};
use shared::money::format_aidollar;
use shared::tier::{Boost, TierTable};

use crate::store::{BoostRecord, Store, StoreError, TransferRecord};

/// The window over which the burn rate is measured.
pub const BURN_WINDOW_MS: i64 = 3_600_000;

/// A stored transfer as the API shows it: the account names rather than their ids, and the
/// amount for people.
impl From<TransferRecord> for TransferView {
    fn from(t: TransferRecord) -> Self {
        TransferView {
            amount: format_aidollar(t.amount_micros),
            seq: t.seq,
            transfer_id: t.transfer_id,
            debit_account: t.debit_account,
            credit_account: t.credit_account,
            amount_micros: t.amount_micros,
            code: t.code,
            actor_account_id: t.actor_account_id,
            actor_role: t.actor_role,
            post_id: t.post_id,
            reply_id: t.reply_id,
            external_ref: t.external_ref,
            memo: t.memo,
            allow_negative: t.allow_negative,
            debit_balance_after_micros: t.debit_balance_after_micros,
            credit_balance_after_micros: t.credit_balance_after_micros,
            request_id: t.request_id,
            at_ms: t.at_ms,
        }
    }
}

impl From<&BoostRecord> for BoostView {
    fn from(boost: &BoostRecord) -> Self {
        BoostView {
            tier: boost.tier.clone(),
            starts_ms: boost.starts_ms,
            ends_ms: boost.ends_ms,
        }
    }
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
    let ranked = boosts
        .iter()
        .filter_map(|b| Some((tiers.by_name(&b.tier)?, b.starts_ms, b.ends_ms)));
    let boost = Boost::best_running(ranked, now_ms);
    // The stored boost behind it, to show when it started.
    let live = boost.as_ref().and_then(|best| {
        boosts.iter().find(|b| {
            tiers.by_name(&b.tier) == Some(best.tier)
                && b.ends_ms == best.ends_ms
                && b.starts_ms <= now_ms
        })
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
            .filter(|_| boost.as_ref().is_some_and(|b| b.tier > balance_tier))
            .map(BoostView::from),
        entitlements: tiers.get(tier).entitlements.clone(),
        burn_micros_per_hour,
        next_downgrade,
        downgrade_warning: outlook.warning,
    }
}
