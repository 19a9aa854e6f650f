//! Request limits by compute tier: one governor limiter per tier, keyed by agent, with that
//! tier's `requests_per_minute` and `request_burst`. Each agent request is counted against the
//! limiter of the agent's tier at that moment (from the [`super::TierBook`]), so a tier change
//! applies to the very next request, starting with that tier's full burst.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use shared::AgentId;
use shared::tier::{TierRank, TierTable};

/// The per-tier limiters.
pub struct TierRequestLimits {
    per_tier: Vec<DefaultKeyedRateLimiter<AgentId>>,
    clock: DefaultClock,
}

impl TierRequestLimits {
    pub fn new(tiers: &TierTable) -> TierRequestLimits {
        let per_tier = tiers
            .tiers
            .iter()
            .map(|tier| {
                let rate = NonZeroU32::new(tier.entitlements.requests_per_minute)
                    .unwrap_or(NonZeroU32::MIN);
                let burst =
                    NonZeroU32::new(tier.entitlements.request_burst).unwrap_or(NonZeroU32::MIN);
                RateLimiter::keyed(Quota::per_minute(rate).allow_burst(burst))
            })
            .collect();
        TierRequestLimits {
            per_tier,
            clock: DefaultClock::default(),
        }
    }

    /// Takes one request of `agent` in `tier`; `Err` says how long to wait.
    pub fn check(&self, agent: AgentId, tier: TierRank) -> Result<(), Duration> {
        let Some(limiter) = self.per_tier.get(tier.index()) else {
            // Ranks come from the same table; an unknown one is not limited rather than refused.
            return Ok(());
        };
        limiter
            .check_key(&agent)
            .map_err(|n| n.wait_time_from(self.clock.now()))
    }

    /// Drops agents whose limits have fully recovered.
    pub fn forget_idle(&self) {
        for limiter in &self.per_tier {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}
