//! Tokens and money held by LLM calls in flight. A call reserves its worst case (estimated
//! prompt tokens plus `max_tokens`, at the model's price) before it is forwarded, against the
//! hourly budget and the balance still free after the other calls in flight; the reservation
//! ends when the call is settled (or abandoned: it is released on drop). Without it, parallel
//! calls would all see the same balance and budget.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use shared::AgentId;

/// What one agent's calls in flight hold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Held {
    tokens: i64,
    micros: i64,
}

/// Every agent's reservations.
#[derive(Debug, Default)]
pub struct Reservations {
    held: Mutex<HashMap<AgentId, Held>>,
}

/// Why a reservation was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shortfall {
    /// Not enough of the hour's tokens left (after the calls in flight).
    Tokens { free: i64 },
    /// Not enough balance left (after the calls in flight).
    Funds { free: i64 },
}

/// A live reservation; released when dropped.
#[derive(Debug)]
pub struct Reservation {
    owner: Arc<Reservations>,
    agent: AgentId,
    held: Held,
}

impl Reservations {
    fn held(&self) -> std::sync::MutexGuard<'_, HashMap<AgentId, Held>> {
        // Plain numbers: still usable after a panic elsewhere.
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reserves `tokens` and `micros` for `agent` if, with its other calls in flight, they fit
    /// in `tokens_left` (the hour's budget minus what was used) and `balance` (ignored when
    /// `micros` is 0: a free model needs no money).
    pub fn try_reserve(
        self: &Arc<Self>,
        agent: AgentId,
        tokens: i64,
        micros: i64,
        tokens_left: i64,
        balance: i64,
    ) -> Result<Reservation, Shortfall> {
        let mut all = self.held();
        let held = all.get(&agent).copied().unwrap_or_default();
        let free_tokens = tokens_left.saturating_sub(held.tokens);
        if tokens > free_tokens {
            return Err(Shortfall::Tokens { free: free_tokens });
        }
        let free_micros = balance.saturating_sub(held.micros);
        if micros > 0 && micros > free_micros {
            return Err(Shortfall::Funds { free: free_micros });
        }
        let entry = all.entry(agent).or_default();
        entry.tokens += tokens;
        entry.micros += micros;
        Ok(Reservation {
            owner: self.clone(),
            agent,
            held: Held { tokens, micros },
        })
    }

    /// Tokens the agent's calls in flight hold.
    pub fn tokens_held(&self, agent: AgentId) -> i64 {
        self.held().get(&agent).map_or(0, |h| h.tokens)
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        let mut all = self.owner.held();
        if let Some(entry) = all.get_mut(&self.agent) {
            entry.tokens -= self.held.tokens;
            entry.micros -= self.held.micros;
            if *entry == Held::default() {
                all.remove(&self.agent);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_in_flight_share_one_budget_and_one_balance_until_released() {
        // Two calls of 600 tokens fit a budget of 1,000 only one at a time; money likewise;
        // dropping a reservation frees what it held; a free call needs no balance.
        let reservations = Arc::new(Reservations::default());
        let ada = AgentId(1);
        let first = reservations.try_reserve(ada, 600, 60, 1_000, 100).unwrap();
        assert_eq!(
            reservations
                .try_reserve(ada, 600, 0, 1_000, 100)
                .unwrap_err(),
            Shortfall::Tokens { free: 400 }
        );
        assert_eq!(
            reservations
                .try_reserve(ada, 100, 60, 1_000, 100)
                .unwrap_err(),
            Shortfall::Funds { free: 40 }
        );
        assert!(
            reservations
                .try_reserve(AgentId(2), 600, 60, 1_000, 100)
                .is_ok()
        );
        drop(first);
        assert_eq!(reservations.tokens_held(ada), 0);
        let free = reservations.try_reserve(ada, 600, 0, 1_000, 0).unwrap();
        assert_eq!(reservations.tokens_held(ada), 600);
        drop(free);
    }
}
