//! The agent's own pacing of its requests within its tier's rate (`requests_per_minute`,
//! `request_burst`): the server refuses a request past them with `429 tier_rate_limited`, and a
//! step that works on a task makes several in a row (perceive, read chats, ask the model, record
//! each tool call, answer), more than a seedling's burst of 3. Each request waits here for its
//! turn instead, by the generic cell rate algorithm (a request may go when its theoretical
//! arrival time is at most `burst - 1` intervals ahead), with the interval 5 % longer than the
//! tier's so that the two clocks never disagree. Shared by every clone of the client. It only
//! delays: it decides nothing and never fails.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

/// The pace of one agent's requests, shared by the clones of its client.
#[derive(Debug, Clone, Default)]
pub struct RequestPace(Arc<Mutex<Option<Cell>>>);

/// The algorithm's state for one rate.
#[derive(Debug, Clone, Copy)]
struct Cell {
    interval: Duration,
    tolerance: Duration,
    /// When the next request would be on time.
    arrival: Instant,
}

impl RequestPace {
    /// Paces by `per_minute` requests a minute with bursts of `burst`; 0 a minute: no pacing.
    /// The state carries over when the rate changes (a tier change).
    pub fn set(&self, per_minute: u32, burst: u32) {
        let Ok(mut cell) = self.0.lock() else { return };
        if per_minute == 0 {
            *cell = None;
            return;
        }
        // 5 % longer than the tier's interval: the server's clock may run a little ahead.
        let interval = Duration::from_secs(60) * 21 / per_minute.saturating_mul(20);
        let tolerance = interval * burst.saturating_sub(1);
        let arrival = cell.map_or_else(Instant::now, |c| c.arrival);
        *cell = Some(Cell {
            interval,
            tolerance,
            arrival,
        });
    }

    /// Waits until a request may go, and takes its turn.
    pub async fn wait(&self) {
        let wait = self.take(Instant::now());
        if !wait.is_zero() {
            tracing::debug!(
                wait_ms = wait.as_millis(),
                "waiting for the tier's request rate"
            );
            tokio::time::sleep(wait).await;
        }
    }

    /// Takes the next turn at `now`: how long to wait for it.
    fn take(&self, now: Instant) -> Duration {
        // A poisoned lock only means a panic elsewhere mid-update: pacing is then skipped.
        let Ok(mut guard) = self.0.lock() else {
            return Duration::ZERO;
        };
        let Some(cell) = guard.as_mut() else {
            return Duration::ZERO;
        };
        let arrival = cell.arrival.max(now);
        let go = arrival.checked_sub(cell.tolerance).unwrap_or(now).max(now);
        cell.arrival = arrival + cell.interval;
        debug_assert!(go >= now);
        go - now
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_goes_at_once_and_the_rest_at_the_rate() {
        // At 6 a minute with bursts of 3, three requests go now and each next one 10.5 s after
        // the one before; unpaced, nothing waits.
        let pace = RequestPace::default();
        let now = Instant::now();
        assert_eq!(pace.take(now), Duration::ZERO);
        pace.set(6, 3);
        let waits: Vec<u64> = (0..5).map(|_| pace.take(now).as_millis() as u64).collect();
        assert_eq!(waits, [0, 0, 0, 10_500, 21_000]);
        // Long after, the burst is back.
        let later = now + Duration::from_secs(600);
        assert_eq!(pace.take(later), Duration::ZERO);
        pace.set(0, 3);
        assert_eq!(pace.take(now), Duration::ZERO);
    }
}
