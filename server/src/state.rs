//! What every request handler can reach: settings, the world, the store, auth, metrics, the
//! board's event stream.

use std::sync::Arc;

use shared::BoardEvent;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::auth::{Credentials, JwtKeys, RateLimits};
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
    pub jwt: Arc<JwtKeys>,
    pub credentials: Arc<Credentials>,
    pub rate_limits: Arc<RateLimits>,
    /// Board changes, after they are committed, for `WS /ws/board`.
    pub board_events: broadcast::Sender<Arc<BoardEvent>>,
    /// Cancelled when the server shuts down; streams close on it.
    pub shutdown: CancellationToken,
}
