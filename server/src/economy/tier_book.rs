//! The tier book: every agent's committed balance and boosts, in memory, so a request can learn
//! its caller's tier in force without a database read. Loaded at start; the ledger writer
//! updates it right after each commit, so a tier change takes effect on the next request.
//! It answers only "which tier now"; balances shown to people are read from the store.

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
}

/// Agents' balances and boosts, for tier lookups.
#[derive(Debug)]
pub struct TierBook {
    tiers: Arc<TierTable>,
    agents: Mutex<HashMap<AgentId, AgentMoney>>,
}

impl TierBook {
    /// An empty book (every agent at balance 0, no boosts).
    pub fn new(tiers: Arc<TierTable>) -> TierBook {
        TierBook {
            tiers,
            agents: Mutex::new(HashMap::new()),
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
        let mut agents = self.agents();
        let Some(money) = agents.get_mut(&agent) else {
            return self.tiers.balance_tier(0);
        };
        money.boosts.retain(|(_, _, ends)| *ends > now_ms);
        let best = money
            .boosts
            .iter()
            .filter(|(_, starts, _)| *starts <= now_ms)
            .max_by_key(|(rank, _, _)| *rank)
            .map(|(rank, _, ends)| Boost {
                tier: *rank,
                ends_ms: *ends,
            });
        self.tiers
            .effective_tier(money.balance_micros, best.as_ref(), now_ms)
    }

    /// The table the book ranks by.
    pub fn tiers(&self) -> &TierTable {
        &self.tiers
    }
}
