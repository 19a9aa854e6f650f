//! The write-behind persister: takes batches of changed positions from the world task and
//! writes each in one transaction. It ends when the world drops its sender, after the final
//! batch, so a graceful shutdown loses nothing.

use std::collections::BTreeMap;
use std::sync::Arc;

use shared::AgentId;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::Store;
use crate::clock::now_ms;
use crate::metrics::Metrics;
use crate::world::PositionUpdate;

/// Batches waiting for the store; the world keeps changes marked while this is full.
pub const PERSIST_QUEUE_BATCHES_MAX: usize = 2;

/// Starts the persister; returns the sender the world writes to and the task.
pub fn spawn_persister(
    store: Store,
    metrics: Arc<Metrics>,
) -> (mpsc::Sender<Vec<PositionUpdate>>, JoinHandle<()>) {
    let (tx, mut rx) = mpsc::channel::<Vec<PositionUpdate>>(PERSIST_QUEUE_BATCHES_MAX);
    let join = tokio::spawn(async move {
        // Updates whose write failed, retried with the next batch (newer updates win). At most
        // one entry per agent, so it is bounded by the number of agents.
        let mut unsaved: BTreeMap<AgentId, PositionUpdate> = BTreeMap::new();
        while let Some(batch) = rx.recv().await {
            unsaved.extend(batch.into_iter().map(|u| (u.id, u)));
            let pending: Vec<PositionUpdate> = unsaved.values().cloned().collect();
            match store.save_positions(&pending, now_ms()).await {
                Ok(()) => {
                    metrics.store_positions_written.inc_by(pending.len() as u64);
                    unsaved.clear();
                }
                Err(error) => {
                    metrics.store_write_failures.inc();
                    tracing::error!(%error, agents = pending.len(), "could not save positions; retrying with the next batch");
                }
            }
        }
        if !unsaved.is_empty() {
            tracing::error!(
                agents = unsaved.len(),
                "positions lost: the store failed the final save"
            );
        }
    });
    (tx, join)
}
