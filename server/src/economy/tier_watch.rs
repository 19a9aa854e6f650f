//! Tier changes as events: a task that follows the ledger writer's committed balance changes
//! and the clock (boosts start and end by themselves), and for every change of an agent's tier
//! in force hands a [`TierChange`] to whoever startup wired to hear it (the world stream's
//! next delta, the agent runtime's wake-up) and writes an `economy.tier_change` entry into the
//! audit log, with the old tier, the new one and why. Freezes and unfreezes by the kill switch
//! are announced the same way. Notifications only: requests already use the new tier (the
//! tier book).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use shared::AgentId;
use shared::tier::TierRank;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

use super::tier_book::TierBook;
use super::writer::BalanceChange;
use crate::clock::now_ms;
use crate::store::{AuditEntry, Store};

/// How often boosts are checked for having started or ended.
const CLOCK_CHECK_EVERY: Duration = Duration::from_secs(1);

/// One change of an agent's tier in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TierChange {
    pub agent: AgentId,
    pub from: String,
    pub to: String,
    /// The transfer code, `boost_started`, `boost_ended`, `freeze`, `unfreeze` or `resync`.
    pub reason: String,
}

/// Hears each tier change, before it is audited.
pub type Announce = Box<dyn Fn(TierChange) -> BoxFuture<'static, ()> + Send + Sync>;

/// What the watcher follows and writes to.
pub struct TierWatch {
    pub book: Arc<TierBook>,
    pub store: Store,
    /// The ledger writer's committed balance changes.
    pub changes: broadcast::Receiver<BalanceChange>,
    pub announce: Announce,
    pub shutdown: CancellationToken,
}

/// Starts the watcher; it ends at shutdown.
pub fn spawn_tier_watch(watch: TierWatch) {
    let TierWatch {
        book,
        store,
        mut changes,
        announce,
        shutdown,
    } = watch;
    let sink = Sink { store, announce };
    tokio::spawn(async move {
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
                        note(&sink, &book, &mut last, change.agent, tier, &change.code).await;
                    }
                    Err(RecvError::Lagged(_)) => {
                        let now = now_ms();
                        for agent in book.agents_known() {
                            note(&sink, &book, &mut last, agent, book.tier(agent, now), "resync").await;
                        }
                    }
                    Err(RecvError::Closed) => return,
                },
                _ = every.tick() => {
                    // Freezes first, so a frozen agent's drop is not taken for a boost ending.
                    recheck(&sink, &book, &mut last).await;
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
                        note(&sink, &book, &mut last, agent, tier, reason).await;
                    }
                }
                () = book.recheck_wanted() => recheck(&sink, &book, &mut last).await,
                () = shutdown.cancelled() => return,
            }
        }
    });
}

/// Where tier changes go: the announcer and the audit log.
struct Sink {
    store: Store,
    announce: Announce,
}

/// Notes the agents whose tier a freeze or an unfreeze changed.
async fn recheck(sink: &Sink, book: &TierBook, last: &mut HashMap<AgentId, TierRank>) {
    let now = now_ms();
    for (agent, reason) in book.take_rechecks() {
        let tier = book.tier(agent, now);
        note(sink, book, last, agent, tier, reason).await;
    }
}

/// Records `tier` as the agent's; if it differs from the last one, announces it and audits it.
async fn note(
    sink: &Sink,
    book: &TierBook,
    last: &mut HashMap<AgentId, TierRank>,
    agent: AgentId,
    tier: TierRank,
    reason: &str,
) {
    let tiers = book.tiers();
    let before = last.insert(agent, tier).unwrap_or(tiers.balance_tier(0));
    if before == tier {
        return;
    }
    let (from, to) = (tiers.get(before).name.clone(), tiers.get(tier).name.clone());
    tracing::info!(%agent, %from, %to, reason, "tier changed");
    let entry = AuditEntry {
        target: format!("agent:{agent}"),
        detail: format!("{from} -> {to} ({reason})"),
        ..AuditEntry::system("economy.tier_change", "-")
    };
    // Announced first: the container's new limits should not wait for the audit write.
    (sink.announce)(TierChange {
        agent,
        from,
        to,
        reason: reason.to_string(),
    })
    .await;
    if let Err(error) = sink.store.append_audit(&entry, now_ms()).await {
        tracing::warn!(%error, "could not audit a tier change");
    }
}
