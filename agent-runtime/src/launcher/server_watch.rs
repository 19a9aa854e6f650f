//! The server's changes as hints: one task long-polls `GET /runtime/changes` and wakes the loop
//! for a pass as soon as what the server wants run may have changed (a tier change, a
//! kill-switch order, a new agent, a token issued or revoked), the way a Kubernetes controller
//! is triggered by a watch; the interval's passes stay as the backstop. A failed poll is tried
//! again after 1 s doubling to 30 s. Hints decide nothing: the pass reads `GET /runtime/agents`.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::hints::{FOLLOW_AGAIN_FIRST, FOLLOW_AGAIN_MAX};
use super::server_link::ServerLink;

/// What one poll keeps of the link's request time limit for the answer to come back.
const ANSWER_MARGIN: Duration = Duration::from_secs(2);

/// How long one poll asks the server to wait: under the link's time limit, at least 1 s.
pub fn poll_wait(link_timeout: Duration) -> Duration {
    link_timeout
        .saturating_sub(ANSWER_MARGIN)
        .max(Duration::from_secs(1))
}

/// Follows the server's changes until `shutdown`, waking `wake` at each new version (not at
/// the first one seen: the loop's first pass reads that state anyway).
pub fn follow_server(
    link: Arc<ServerLink>,
    wake: Arc<Notify>,
    wait: Duration,
    shutdown: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut seen: Option<u64> = None;
        let mut delay = FOLLOW_AGAIN_FIRST;
        loop {
            let answer = tokio::select! {
                answer = link.changes_after(seen, wait) => answer,
                () = shutdown.cancelled() => return,
            };
            match answer {
                Ok(version) => {
                    delay = FOLLOW_AGAIN_FIRST;
                    if seen.is_some_and(|seen| seen != version) {
                        wake.notify_one();
                    }
                    seen = Some(version);
                }
                Err(error) => {
                    tracing::debug!(%error, ?delay, "following the server's changes again later");
                    tokio::select! {
                        () = tokio::time::sleep(delay) => {}
                        () = shutdown.cancelled() => return,
                    }
                    delay = (delay * 2).min(FOLLOW_AGAIN_MAX);
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_poll_waits_under_the_links_limit() {
        assert_eq!(poll_wait(Duration::from_secs(10)), Duration::from_secs(8));
        assert_eq!(poll_wait(Duration::from_secs(2)), Duration::from_secs(1));
    }
}
