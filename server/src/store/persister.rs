//! The write-behind persister: takes batches of changed positions from the world task and
//! writes each in one transaction. It ends when the world drops its sender, after the final
//! batch, so a graceful shutdown loses nothing.

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::Store;
use crate::metrics::Metrics;
use crate::world::{PositionUpdate, now_ms};

/// Batches waiting for the store; the world keeps changes marked while this is full.
pub const PERSIST_QUEUE_BATCHES_MAX: usize = 2;

/// Starts the persister; returns the sender the world writes to and the task.
pub fn spawn_persister(
    store: Store,
    metrics: Arc<Metrics>,
) -> (mpsc::Sender<Vec<PositionUpdate>>, JoinHandle<()>) {
    let (tx, mut rx) = mpsc::channel::<Vec<PositionUpdate>>(PERSIST_QUEUE_BATCHES_MAX);
    let join = tokio::spawn(async move {
        while let Some(batch) = rx.recv().await {
            match store.save_positions(&batch, now_ms()).await {
                Ok(()) => {
                    metrics.store_positions_written.inc_by(batch.len() as u64);
                }
                Err(error) => {
                    metrics.store_write_failures.inc();
                    tracing::error!(%error, agents = batch.len(), "could not save positions");
                }
            }
        }
    });
    (tx, join)
}
