//! The tier book: every agent's committed balance and boosts, in memory, so a request can learn
//! its caller's tier in force without a database read. Loaded at start; the ledger writer
//! updates it right after each commit, so a tier change takes effect on the next request.
//! It answers only "which tier now"; balances shown to people are read from the store.
//! A frozen agent (the kill switch's `freeze`) is in the first tier whatever it holds.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use shared::AgentId;
use shared::tier::{Boost, TierRank, TierTable};

use crate::store::{BoostRecord, Store, StoreError};

/// What the book holds of one agent.
#[derive(Debug, Clone, Default)]
struct AgentMoney {
    balance_micros: i64,
    /// Boosts not yet ended: (tier, starts_ms, ends_ms).
    boosts: Vec<(TierRank, i64, i64)>,
    /// Held at the first tier by an admin.
    frozen: bool,
}

/// Agents' balances and boosts, for tier lookups.
#[derive(Debug)]
pub struct TierBook {
    tiers: Arc<TierTable>,
    agents: Mutex<HashMap<AgentId, AgentMoney>>,
    /// Agents whose tier changed for a reason the ledger does not announce (a freeze or an
    /// unfreeze), with that reason, for the tier watcher; at most one entry per agent.
    rechecks: Mutex<HashMap<AgentId, &'static str>>,
    recheck_wanted: tokio::sync::Notify,
}

impl TierBook {
    /// An empty book (every agent at balance 0, no boosts).
    pub fn new(tiers: Arc<TierTable>) -> TierBook {
        TierBook {
            tiers,
            agents: Mutex::new(HashMap::new()),
            rechecks: Mutex::new(HashMap::new()),
            recheck_wanted: tokio::sync::Notify::new(),
        }
    }

    /// A book holding every agent's committed balance and running boosts.
    pub async fn load(
        store: &Store,
        tiers: Arc<TierTable>,
        now_ms: i64,
    ) -> Result<TierBook, StoreError> {
        let book = TierBook::new(tiers);
        for (agent, balance) in store.list_agent_balances().await? {
            book.set_balance(agent, balance);
        }
        for boost in store.list_all_live_boosts(now_ms).await? {
            book.add_boost(&boost);
        }
        for control in store.list_agent_controls().await? {
            if control.frozen {
                book.agents().entry(control.agent).or_default().frozen = true;
            }
        }
        Ok(book)
    }

    fn agents(&self) -> std::sync::MutexGuard<'_, HashMap<AgentId, AgentMoney>> {
        // A panic while holding this lock leaves plain numbers behind, still usable.
        self.agents.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records a committed balance.
    pub fn set_balance(&self, agent: AgentId, balance_micros: i64) {
        self.agents().entry(agent).or_default().balance_micros = balance_micros;
    }

    /// Freezes or unfreezes an agent's compute (committed by the kill switch), and asks the
    /// tier watcher to announce the change.
    pub fn set_frozen(&self, agent: AgentId, frozen: bool) {
        let changed = {
            let mut agents = self.agents();
            let money = agents.entry(agent).or_default();
            std::mem::replace(&mut money.frozen, frozen) != frozen
        };
        if changed {
            let reason = if frozen { "frozen" } else { "unfrozen" };
            self.rechecks
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(agent, reason);
            self.recheck_wanted.notify_one();
        }
    }

    /// Agents whose tier may have changed outside the ledger since the last call, with the
    /// reason (for the tier watcher).
    pub fn take_rechecks(&self) -> Vec<(AgentId, &'static str)> {
        let mut taken: Vec<(AgentId, &'static str)> = self
            .rechecks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain()
            .collect();
        taken.sort();
        taken
    }

    /// Resolves once `set_frozen` changed something (at once if it did since the last wait).
    pub async fn recheck_wanted(&self) {
        self.recheck_wanted.notified().await;
    }

    /// Whether an agent's compute is frozen.
    pub fn is_frozen(&self, agent: AgentId) -> bool {
        self.agents().get(&agent).is_some_and(|money| money.frozen)
    }

    /// Records a committed boost (ignored if its tier is not in the table).
    pub fn add_boost(&self, boost: &BoostRecord) {
        let Some(rank) = self.tiers.by_name(&boost.tier) else {
            return;
        };
        let agent = AgentId(boost.agent_id.unsigned_abs());
        self.agents()
            .entry(agent)
            .or_default()
            .boosts
            .push((rank, boost.starts_ms, boost.ends_ms));
    }

    /// The agent's tier in force at `now_ms`; ended boosts are dropped on the way.
    pub fn tier(&self, agent: AgentId, now_ms: i64) -> TierRank {
        self.tier_with(agent, None, now_ms)
    }

    /// The name of the agent's tier in force at `now_ms`, as `AgentView::tier` carries it.
    pub fn tier_name(&self, agent: AgentId, now_ms: i64) -> String {
        self.tiers.get(self.tier(agent, now_ms)).name.clone()
    }

    /// The agent's tier at `now_ms` had it `balance_micros` (with its boosts as held).
    pub fn tier_at_balance(&self, agent: AgentId, balance_micros: i64, now_ms: i64) -> TierRank {
        self.tier_with(agent, Some(balance_micros), now_ms)
    }

    fn tier_with(&self, agent: AgentId, balance: Option<i64>, now_ms: i64) -> TierRank {
        let mut agents = self.agents();
        let Some(money) = agents.get_mut(&agent) else {
            return self.tiers.balance_tier(balance.unwrap_or(0));
        };
        if money.frozen {
            return TierRank::FIRST;
        }
        money.boosts.retain(|(_, _, ends)| *ends > now_ms);
        let best = Boost::best_running(money.boosts.iter().copied(), now_ms);
        let balance = balance.unwrap_or(money.balance_micros);
        self.tiers.effective_tier(balance, best.as_ref(), now_ms)
    }

    /// Every agent the book holds (those with a transfer or a boost).
    pub fn agents_known(&self) -> Vec<AgentId> {
        self.agents().keys().copied().collect()
    }

    /// Agents with a boost that has not ended (their tier may change by the clock alone).
    pub fn agents_with_boosts(&self) -> Vec<AgentId> {
        self.agents()
            .iter()
            .filter(|(_, money)| !money.boosts.is_empty())
            .map(|(agent, _)| *agent)
            .collect()
    }

    /// The table the book ranks by.
    pub fn tiers(&self) -> &TierTable {
        &self.tiers
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::economy::tiers::load_tiers;

    #[test]
    fn the_book_lifts_a_tier_while_a_boost_runs_and_drops_it_after() {
        // An unknown agent is in the first tier; a balance of 10 aiDollar is a worker; a guild
        // boost lifts it only between its start and end; a balance given for a moment is
        // ranked with the boosts held.
        let tiers = Arc::new(load_tiers(None).unwrap());
        let book = TierBook::new(tiers.clone());
        let ada = AgentId(1);
        let name = |rank: TierRank| tiers.get(rank).name.clone();
        assert_eq!(name(book.tier(ada, 0)), "seedling");
        book.set_balance(ada, 10_000_000);
        assert_eq!(name(book.tier(ada, 0)), "worker");
        book.add_boost(&BoostRecord {
            transfer_seq: 1,
            agent_id: 1,
            tier: "guild".into(),
            starts_ms: 100,
            ends_ms: 200,
        });
        assert_eq!(name(book.tier(ada, 99)), "worker");
        assert_eq!(name(book.tier(ada, 150)), "guild");
        assert_eq!(book.agents_with_boosts(), vec![ada]);
        assert_eq!(name(book.tier_at_balance(ada, 0, 150)), "guild");
        assert_eq!(name(book.tier(ada, 200)), "worker");
        assert!(book.agents_with_boosts().is_empty());
        assert_eq!(name(book.tier_at_balance(ada, 0, 200)), "seedling");
    }

    #[tokio::test]
    async fn a_frozen_agent_is_in_the_first_tier_whatever_it_holds() {
        // A rich, boosted agent drops to the first tier while frozen, comes back after, and
        // each real change (not a repeated one) is handed to the tier watcher once.
        let tiers = Arc::new(load_tiers(None).unwrap());
        let book = TierBook::new(tiers.clone());
        let ada = AgentId(1);
        let name = |rank: TierRank| tiers.get(rank).name.clone();
        book.set_balance(ada, 10_000_000);
        book.add_boost(&BoostRecord {
            transfer_seq: 1,
            agent_id: 1,
            tier: "guild".into(),
            starts_ms: 0,
            ends_ms: 1_000,
        });
        book.set_frozen(ada, true);
        book.set_frozen(ada, true);
        assert!(book.is_frozen(ada));
        assert_eq!(name(book.tier(ada, 10)), "seedling");
        assert_eq!(name(book.tier_at_balance(ada, 500_000_000, 10)), "seedling");
        book.recheck_wanted().await;
        assert_eq!(book.take_rechecks(), vec![(ada, "frozen")]);
        assert!(book.take_rechecks().is_empty());
        book.set_frozen(ada, false);
        assert_eq!(name(book.tier(ada, 10)), "guild");
        book.recheck_wanted().await;
        assert_eq!(book.take_rechecks(), vec![(ada, "unfrozen")]);
    }
}
