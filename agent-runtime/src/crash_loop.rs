//! Restart backoff for containers that keep exiting: the first restart at once, then waits of
//! 1 s doubling to 5 min; an agent restarted more than five times is reported failing (its
//! restarts go on, at the longest wait). A container seen running ten seconds after its last
//! start starts over from nothing: an exit after that is not part of a tight loop (a kill from
//! outside, an OOM now and then), and its restart goes ahead at once. A process that dies
//! later than that each time is restarted each time; its restarts show in the metrics.
//!
//! Pure: the caller passes the time.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use shared::AgentId;

/// The first wait before restarting a container that exited; doubled per restart.
pub const RESTART_DELAY_FIRST: Duration = Duration::from_secs(1);
/// The longest wait between restarts of a crash-looping container.
pub const RESTART_DELAY_MAX: Duration = Duration::from_secs(300);
/// Restarts after which an agent is reported as failing.
pub const RESTARTS_BEFORE_FAILING: u32 = 5;
/// A container still running this long after its last start is steady: its count is dropped.
pub const STEADY_RUN: Duration = Duration::from_secs(10);

/// Whether a (re)start may go ahead now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Go,
    /// Go, but the agent has restarted more than [`RESTARTS_BEFORE_FAILING`] times.
    GoFailing,
    /// Not yet: the backoff has not run out.
    Wait,
}

#[derive(Debug, Clone, Copy)]
struct Loop {
    restarts: u32,
    last_start: Instant,
    next_start: Instant,
}

/// Every agent's restart count and the earliest time of its next start.
#[derive(Debug, Default)]
pub struct CrashLoops {
    loops: HashMap<AgentId, Loop>,
}

impl CrashLoops {
    /// Asks to start `agent` at `now`; a start that may go ahead is counted.
    pub fn start(&mut self, agent: AgentId, now: Instant) -> Verdict {
        let entry = self.loops.entry(agent).or_insert(Loop {
            restarts: 0,
            last_start: now,
            next_start: now,
        });
        if now < entry.next_start {
            return Verdict::Wait;
        }
        let delay = RESTART_DELAY_FIRST.saturating_mul(1 << entry.restarts.min(16));
        entry.restarts += 1;
        entry.last_start = now;
        entry.next_start = now + delay.min(RESTART_DELAY_MAX);
        if entry.restarts > RESTARTS_BEFORE_FAILING {
            Verdict::GoFailing
        } else {
            Verdict::Go
        }
    }

    /// Keeps only the agents still wanted, and forgets those in `running` whose last start is
    /// [`STEADY_RUN`] behind `now`.
    pub fn forget(&mut self, wanted: &HashSet<AgentId>, running: &HashSet<AgentId>, now: Instant) {
        self.loops.retain(|agent, entry| {
            wanted.contains(agent)
                && !(running.contains(agent) && now >= entry.last_start + STEADY_RUN)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restarts_wait_longer_each_time_up_to_the_cap_and_then_report_failing() {
        // Starts at 0 s, 1 s, 3 s, 7 s, 15 s go; in between they wait; the sixth start (31 s) is
        // reported failing; the waits stop growing at five minutes.
        let agent = AgentId(1);
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        let mut loops = CrashLoops::default();
        assert_eq!(loops.start(agent, at(0)), Verdict::Go);
        assert_eq!(loops.start(agent, at(0)), Verdict::Wait);
        for (when, verdict) in [(1, Verdict::Go), (3, Verdict::Go), (7, Verdict::Go)] {
            assert_eq!(loops.start(agent, at(when - 1)), Verdict::Wait, "{when}");
            assert_eq!(loops.start(agent, at(when)), verdict, "{when}");
        }
        assert_eq!(loops.start(agent, at(15)), Verdict::Go);
        assert_eq!(loops.start(agent, at(31)), Verdict::GoFailing);
        for when in [63, 127, 255, 511] {
            assert_eq!(loops.start(agent, at(when)), Verdict::GoFailing, "{when}");
        }
        // 512 s would be next; the wait is capped at 300 s.
        assert_eq!(loops.start(agent, at(810)), Verdict::Wait);
        assert_eq!(loops.start(agent, at(811)), Verdict::GoFailing);
    }

    #[test]
    fn a_steady_or_removed_agent_starts_over() {
        // Forgotten once seen running ten seconds after its last start, or when no longer
        // wanted; kept while it still might crash again (running, but not that long yet).
        let agent = AgentId(2);
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        let mut loops = CrashLoops::default();
        for s in [0, 1, 3] {
            loops.start(agent, at(s));
        }
        let wanted = HashSet::from([agent]);
        let running = HashSet::from([agent]);
        loops.forget(&wanted, &running, at(3 + 9));
        assert_eq!(loops.start(agent, at(6)), Verdict::Wait);
        loops.forget(&wanted, &running, at(3 + 10));
        assert_eq!(loops.start(agent, at(3 + 10)), Verdict::Go);
        assert_eq!(
            loops.start(agent, at(3 + 10)),
            Verdict::Wait,
            "counted again"
        );
        loops.forget(&HashSet::new(), &HashSet::new(), at(400));
        assert_eq!(loops.start(agent, at(400)), Verdict::Go);
    }
}
