//! How long to wait before the next reconnect: doubling from `first` to `max`, with a little
//! spread so that many viewers dropped by one server restart do not all return in the same
//! instant. Reset after a connection that reached the snapshot.

use std::time::Duration;

/// Reconnect delays.
#[derive(Debug, Clone)]
pub struct Backoff {
    first: Duration,
    max: Duration,
    failures: u32,
    /// Varies the spread per viewer without a random source (the connection count is enough).
    seed: u64,
}

impl Backoff {
    pub fn new(first: Duration, max: Duration, seed: u64) -> Self {
        assert!(
            first <= max && !first.is_zero(),
            "backoff bounds must be 0 < first <= max"
        );
        Self {
            first,
            max,
            failures: 0,
            seed,
        }
    }

    /// The wait before the next attempt, counting one more failure.
    pub fn next_delay(&mut self) -> Duration {
        let doubled = self.first.saturating_mul(1u32 << self.failures.min(16));
        self.failures = self.failures.saturating_add(1);
        let base = doubled.min(self.max);
        // Up to +25 %, from a cheap hash of the seed and the attempt.
        let mix = (self.seed ^ u64::from(self.failures)).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 54;
        let spread = base.mul_f64(mix as f64 / 1024.0 / 4.0);
        (base + spread).min(self.max + self.max / 4)
    }

    /// The longest wait, counting one more failure: for an end that will not fix itself soon
    /// (a protocol mismatch).
    pub fn longest_delay(&mut self) -> Duration {
        self.failures = self.failures.saturating_add(1);
        self.max
    }

    /// How many attempts failed since the last success.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    pub fn reset(&mut self) {
        self.failures = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap_and_reset() {
        // Each failure waits about twice as long, never past max + 25 %, and reset starts over.
        let mut b = Backoff::new(Duration::from_millis(500), Duration::from_secs(30), 7);
        let delays: Vec<Duration> = (0..10).map(|_| b.next_delay()).collect();
        assert!(delays[0] >= Duration::from_millis(500) && delays[0] <= Duration::from_millis(625));
        assert!(delays[1] >= Duration::from_secs(1) && delays[1] <= Duration::from_millis(1250));
        for d in &delays {
            assert!(*d <= Duration::from_millis(37_500), "{d:?}");
        }
        assert!(delays[9] >= Duration::from_secs(30));
        assert_eq!(b.failures(), 10);
        b.reset();
        assert!(b.next_delay() <= Duration::from_millis(625));
        assert_eq!(b.longest_delay(), Duration::from_secs(30));
        assert_eq!(b.failures(), 2);
    }
}
