//! Engine events as hints: one task per node follows that node's container events for this
//! village and wakes the loop for an early pass (a container that died is started again
//! without waiting for the interval). A broken or ended stream is followed again after a
//! delay of 1 s doubling to 30 s, back to 1 s once a stream delivered an event. Hints decide
//! nothing: the pass reads the real state, and the interval's passes go on without them.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::backend::ContainerBackend;

/// The first wait before following a node's events again.
pub const FOLLOW_AGAIN_FIRST: Duration = Duration::from_secs(1);
/// The longest wait before following a node's events again.
pub const FOLLOW_AGAIN_MAX: Duration = Duration::from_secs(30);

/// Follows `backend`'s events until `shutdown`, waking `wake` on each.
pub fn follow_changes<B>(
    backend: B,
    wake: Arc<Notify>,
    shutdown: CancellationToken,
) -> JoinHandle<()>
where
    B: ContainerBackend + 'static,
{
    tokio::spawn(async move {
        let mut delay = FOLLOW_AGAIN_FIRST;
        loop {
            let mut changes = backend.changes();
            let ended = loop {
                tokio::select! {
                    change = changes.next() => match change {
                        Some(Ok(())) => {
                            delay = FOLLOW_AGAIN_FIRST;
                            wake.notify_one();
                        }
                        Some(Err(error)) => break error.to_string(),
                        None => break "the stream ended".to_string(),
                    },
                    () = shutdown.cancelled() => return,
                }
            };
            tracing::debug!(node = backend.node(), %ended, ?delay, "following engine events again later");
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                () = shutdown.cancelled() => return,
            }
            delay = (delay * 2).min(FOLLOW_AGAIN_MAX);
        }
    })
}
