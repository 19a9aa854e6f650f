//! What every request handler can reach: settings, the world, the store, metrics.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::config::Settings;
use crate::metrics::Metrics;
use crate::store::Store;
use crate::world::{TileMap, WorldHandle};

/// Shared state of the HTTP and WebSocket handlers; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    /// The static map, for checks that need no world state (landmark names).
    pub map: Arc<TileMap>,
    pub world: WorldHandle,
    pub store: Store,
    pub metrics: Arc<Metrics>,
    /// The token writes must carry until accounts exist.
    pub dev_token: Arc<str>,
    /// Cancelled when the server shuts down; streams close on it.
    pub shutdown: CancellationToken,
}
