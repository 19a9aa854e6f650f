//! Tier changes as events: a task that follows the ledger writer's committed balance changes
//! and the clock (boosts start and end by themselves), and for every change of an agent's tier
//! in force puts `VillageEvent::TierChanged` into the world stream's next delta and an
//! `economy.tier_change` entry into the audit log, with the old tier, the new one and why.
//! Freezes and unfreezes by the kill switch are announced the same way. Notifications only:
//! requests already use the new tier (the tier book).

use std::collections::HashMap;
use std::time::Duration;

use shared::AgentId;
use shared::protocol::VillageEvent;
use shared::tier::TierRank;
use tokio::sync::broadcast::error::RecvError;

use crate::clock::now_ms;
use crate::state::AppState;
use crate::store::AuditEntry;

/// How often boosts are checked for having started or ended.
const CLOCK_CHECK_EVERY: Duration = Duration::from_secs(1);

/// Starts the watcher; it ends at shutdown.
pub fn spawn_tier_watch(state: AppState) {
    let mut changes = state.ledger.subscribe();
    tokio::spawn(async move {
        let book = state.tier_book.clone();
        let now = now_ms();
        let mut last: HashMap<AgentId, TierRank> = book
            .agents_known()
            .into_iter()
            .map(|agent| (agent, book.tier(agent, now)))
            .collect();
        let mut every = tokio::time::interval(CLOCK_CHECK_EVERY);
        loop {
            tokio::select! {
                change = changes.recv() => match change {
                    Ok(change) => {
                        let tier = book.tier_at_balance(change.agent, change.balance_micros, now_ms());
                        note(&state, &mut last, change.agent, tier, &change.code).await;
                    }
                    Err(RecvError::Lagged(_)) => {
                        let now = now_ms();
                        for agent in book.agents_known() {
                            note(&state, &mut last, agent, book.tier(agent, now), "resync").await;
                        }
                    }
                    Err(RecvError::Closed) => return,
                },
                _ = every.tick() => {
                    // Freezes first, so a frozen agent's drop is not taken for a boost ending.
                    recheck(&state, &mut last).await;
                    let now = now_ms();
                    let boosted: Vec<AgentId> = book.agents_with_boosts();
                    // Agents whose tier is above their balance's may have just lost a boost.
                    let lifted: Vec<AgentId> = last
                        .iter()
                        .filter(|(agent, tier)| !boosted.contains(agent) && **tier > book.tier(**agent, now))
                        .map(|(agent, _)| *agent)
                        .collect();
                    for agent in boosted.into_iter().chain(lifted) {
                        let tier = book.tier(agent, now);
                        let reason = match last.get(&agent) {
                            Some(before) if *before > tier => "boost_ended",
                            _ => "boost_started",
                        };
                        note(&state, &mut last, agent, tier, reason).await;
                    }
                }
                () = book.recheck_wanted() => recheck(&state, &mut last).await,
                () = state.shutdown.cancelled() => return,
            }
        }
    });
}

/// Notes the agents whose tier a freeze or an unfreeze changed.
async fn recheck(state: &AppState, last: &mut HashMap<AgentId, TierRank>) {
    let now = now_ms();
    for (agent, reason) in state.tier_book.take_rechecks() {
        let tier = state.tier_book.tier(agent, now);
        note(state, last, agent, tier, reason).await;
    }
}

/// Records `tier` as the agent's; if it differs from the last one, tells the world and the
/// audit log.
async fn note(
    state: &AppState,
    last: &mut HashMap<AgentId, TierRank>,
    agent: AgentId,
    tier: TierRank,
    reason: &str,
) {
    let tiers = state.tier_book.tiers();
    let before = last.insert(agent, tier).unwrap_or(tiers.balance_tier(0));
    if before == tier {
        return;
    }
    // The runtime first: the container's new limits should not wait for the audit write.
    state.runtime_changes.bump();
    let (from, to) = (tiers.get(before).name.clone(), tiers.get(tier).name.clone());
    tracing::info!(%agent, %from, %to, reason, "tier changed");
    let entry = AuditEntry {
        target: format!("agent:{agent}"),
        detail: format!("{from} -> {to} ({reason})"),
        ..AuditEntry::system("economy.tier_change", "-")
    };
    if let Err(error) = state.store.append_audit(&entry, now_ms()).await {
        tracing::warn!(%error, "could not audit a tier change");
    }
    let event = VillageEvent::TierChanged {
        agent,
        from,
        to,
        reason: reason.to_string(),
    };
    if !matches!(
        state
            .world
            .call(move |world, _| world.push_event(event))
            .await,
        Ok(true)
    ) {
        tracing::warn!(%agent, "a tier change did not reach the world stream");
    }
}
