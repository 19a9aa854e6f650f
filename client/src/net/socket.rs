//! The viewer's side of one WebSocket, the same on every target: events come out of a
//! channel, frames to send go into one. The native backend runs the socket on a thread, the
//! browser backend on the page's own WebSocket; tests hand in both ends themselves.

use crossbeam_channel::{Receiver, Sender};
use shared::codec::Frame;

/// What happened on the socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SocketEvent {
    Opened,
    Frame(Frame),
    /// The peer closed the connection (with its reason, if it gave one).
    Closed(String),
    /// The connection could not be made or broke.
    Failed(String),
}

/// What the viewer asks of the socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outgoing {
    Frame(Frame),
    Close,
}

/// The viewer's ends of one connection. Dropping it closes the connection.
#[derive(Debug)]
pub struct SocketHandle {
    pub events: Receiver<SocketEvent>,
    pub outgoing: Sender<Outgoing>,
}

impl Drop for SocketHandle {
    fn drop(&mut self) {
        // The backend may already be gone; nothing to do then.
        let _ = self.outgoing.try_send(Outgoing::Close);
    }
}

/// Bounds of the socket channels: a burst of deltas while a frame renders, not an unbounded
/// backlog. A viewer that falls this far behind is resynced by the server anyway.
pub const SOCKET_EVENTS_MAX: usize = 4096;
pub const SOCKET_OUTGOING_MAX: usize = 64;

/// Opens a connection to a `ws://` or `wss://` URL (a closure so that tests can keep the
/// backend's ends).
pub type Connector = std::sync::Arc<dyn Fn(&str) -> SocketHandle + Send + Sync>;

/// The two channel pairs of a connection: the viewer's handle and the backend's ends.
pub fn socket_pair() -> (SocketHandle, Sender<SocketEvent>, Receiver<Outgoing>) {
    let (event_tx, event_rx) = crossbeam_channel::bounded(SOCKET_EVENTS_MAX);
    let (out_tx, out_rx) = crossbeam_channel::bounded(SOCKET_OUTGOING_MAX);
    (
        SocketHandle {
            events: event_rx,
            outgoing: out_tx,
        },
        event_tx,
        out_rx,
    )
}
