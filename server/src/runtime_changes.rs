//! A version of what the agent runtime should run, bumped whenever that may have changed (an
//! agent's tier in force, a kill-switch order, an agent made, a token issued or revoked), so
//! the runtime's launcher can wait for the next change (`GET /runtime/changes`) instead of
//! learning it at its next poll, the way a Kubernetes controller is woken by a watch.
//!
//! Only a wake-up: the launcher then reads `GET /runtime/agents` as it always does, so a
//! spurious bump costs one pass and a missed one is caught by its poll. The first version is
//! the server's start time in ms, so a restarted server never repeats a version a launcher
//! already saw.

use std::time::Duration;

use tokio::sync::watch;

/// The current version and its waiters.
#[derive(Debug)]
pub struct RuntimeChanges {
    version: watch::Sender<u64>,
}

impl RuntimeChanges {
    /// Starts at `first` (the server's start time in ms).
    pub fn new(first: u64) -> RuntimeChanges {
        RuntimeChanges {
            version: watch::Sender::new(first),
        }
    }

    /// The version now.
    pub fn version(&self) -> u64 {
        *self.version.borrow()
    }

    /// Something the runtime acts on may have changed: wakes every waiter.
    pub fn bump(&self) {
        self.version
            .send_modify(|version| *version = version.wrapping_add(1));
    }

    /// The version once it differs from `seen`, or the version after `wait` if it does not
    /// change meanwhile. A `seen` from before a restart differs at once.
    pub async fn after(&self, seen: u64, wait: Duration) -> u64 {
        let mut changes = self.version.subscribe();
        let changed = changes.wait_for(|version| *version != seen);
        match tokio::time::timeout(wait, changed).await {
            Ok(Ok(version)) => *version,
            // The sender lives as long as `self`: only the timeout ends the wait early.
            Ok(Err(_)) | Err(_) => self.version(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[tokio::test]
    async fn a_waiter_wakes_at_the_bump_and_an_old_version_answers_at_once() {
        // The waits are an hour: only the bump (or a version not seen) can end them within
        // the guard's 30 s, so a wait that ignored changes fails here instead of passing late.
        let hour = Duration::from_secs(3_600);
        let guard = Duration::from_secs(30);
        let changes = Arc::new(RuntimeChanges::new(1_000));
        let at_once = tokio::time::timeout(guard, changes.after(7, hour)).await;
        assert_eq!(at_once, Ok(1_000));
        let waiter = {
            let changes = changes.clone();
            tokio::spawn(async move { changes.after(1_000, hour).await })
        };
        tokio::task::yield_now().await;
        changes.bump();
        let woken = tokio::time::timeout(guard, waiter)
            .await
            .expect("woken by the bump");
        assert_eq!(woken.unwrap(), 1_001);
    }

    #[tokio::test]
    async fn without_a_change_the_wait_ends_with_the_same_version() {
        let changes = RuntimeChanges::new(5);
        assert_eq!(changes.after(5, Duration::from_millis(20)).await, 5);
    }
}
