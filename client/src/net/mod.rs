//! The world stream: one connection to `WS /ws/world`, kept open with backoff, its frames
//! checked by [`session::StreamSession`] and handed to the world model as [`StreamMessage`]s.
//! The status line reads [`LinkStatus`]. Nothing here touches entities.

pub mod backoff;
#[cfg(not(target_arch = "wasm32"))]
pub mod native_socket;
pub mod session;
pub mod socket;
#[cfg(target_arch = "wasm32")]
pub mod web_socket;

use std::time::Duration;

use bevy::prelude::*;
use crossbeam_channel::TryRecvError;
use shared::codec::{self, Format};
use shared::{ClientMsg, PROTOCOL_VERSION, ServerMsg};

use crate::ViewerSet;
use backoff::Backoff;
use session::{StreamEnd, StreamSession};
use socket::{Connector, Outgoing, SocketEvent, SocketHandle};

/// The most socket events handled in one frame, so a flood cannot freeze the window; the
/// rest wait in the (bounded) channel for the next frame.
const SOCKET_EVENTS_PER_FRAME_MAX: usize = 512;

/// A message from the server, already checked, for the world model.
#[derive(Message, Debug, Clone)]
pub struct StreamMessage(pub ServerMsg);

/// A message for the server; dropped while not connected.
#[derive(Message, Debug, Clone)]
pub struct SendToServer(pub ClientMsg);

/// Ask the link to drop the connection and reconnect (the model found a gap in the ticks).
#[derive(Message, Debug, Clone)]
pub struct DropConnection(pub String);

/// Where the stream is and how to reach it.
#[derive(Resource, Clone)]
pub struct StreamTarget {
    pub url: String,
    pub connector: Connector,
}

/// What the status line says about the connection.
#[derive(Resource, Debug, Clone, PartialEq, Default)]
pub struct LinkStatus {
    pub state: LinkState,
    /// Why the last connection ended, if one did.
    pub last_end: Option<StreamEnd>,
    /// Connections that reached a snapshot, since start.
    pub sessions: u32,
    pub server_version: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub enum LinkState {
    #[default]
    Idle,
    Connecting {
        attempt: u32,
    },
    Live,
    /// Waiting to try again at `retry_at` (seconds of real time since start).
    Waiting {
        attempt: u32,
        retry_at: f64,
    },
}

impl LinkStatus {
    /// The protocol mismatch that ended the last connection, if that is why it ended.
    pub fn mismatch(&self) -> Option<&StreamEnd> {
        self.last_end
            .as_ref()
            .filter(|end| matches!(end, StreamEnd::ProtocolMismatch { .. }))
    }
}

/// The open connection, if any, and its frame rules.
#[derive(Resource)]
struct Link {
    socket: Option<SocketHandle>,
    session: StreamSession,
    backoff: Backoff,
    retry_at: f64,
}

pub(super) fn plugin(app: &mut App) {
    app.add_message::<StreamMessage>()
        .add_message::<SendToServer>()
        .add_message::<DropConnection>()
        .init_resource::<LinkStatus>()
        .insert_resource(Link {
            socket: None,
            session: StreamSession::new(),
            backoff: Backoff::new(
                Duration::from_millis(500),
                Duration::from_secs(30),
                // Any per-viewer variation spreads reconnects after a server restart.
                crate::api::calls::now_ms(),
            ),
            retry_at: 0.0,
        })
        .add_systems(
            Update,
            (connect_when_due, pump_socket, send_queued)
                .chain()
                .in_set(ViewerSet::Net),
        );
    #[cfg(target_arch = "wasm32")]
    app.add_systems(Update, flush_web_socket.after(send_queued));
}

fn connect_when_due(
    time: Res<Time<Real>>,
    target: Res<StreamTarget>,
    mut link: ResMut<Link>,
    mut status: ResMut<LinkStatus>,
) {
    if link.socket.is_some() || time.elapsed_secs_f64() < link.retry_at {
        return;
    }
    link.session = StreamSession::new();
    link.socket = Some((target.connector)(&target.url));
    status.state = LinkState::Connecting {
        attempt: link.backoff.failures() + 1,
    };
}

fn pump_socket(
    time: Res<Time<Real>>,
    mut link: ResMut<Link>,
    mut status: ResMut<LinkStatus>,
    mut out: MessageWriter<StreamMessage>,
    mut drops: MessageReader<DropConnection>,
) {
    let mut ended = drops.read().last().map(|d| StreamEnd::Closed(d.0.clone()));
    for _ in 0..SOCKET_EVENTS_PER_FRAME_MAX {
        if ended.is_some() {
            break;
        }
        let Some(socket) = link.socket.as_ref() else {
            return;
        };
        let event = match socket.events.try_recv() {
            Ok(event) => event,
            Err(TryRecvError::Empty) => break,
            Err(TryRecvError::Disconnected) => {
                SocketEvent::Failed("the connection's worker stopped".into())
            }
        };
        match event {
            SocketEvent::Opened => {
                if let (Some(socket), Ok(frame)) = (
                    link.socket.as_ref(),
                    codec::encode_client(&hello(), Format::Postcard),
                ) {
                    let _ = socket.outgoing.try_send(Outgoing::Frame(frame));
                }
            }
            SocketEvent::Frame(frame) => match link.session.on_frame(&frame) {
                Ok(Some(msg)) => {
                    if matches!(msg, ServerMsg::Snapshot(_)) && status.state != LinkState::Live {
                        status.state = LinkState::Live;
                        status.sessions += 1;
                        status.last_end = None;
                        status.server_version = link.session.server_version().map(str::to_string);
                        link.backoff.reset();
                    }
                    out.write(StreamMessage(msg));
                }
                Ok(None) => {}
                Err(end) => ended = Some(end),
            },
            SocketEvent::Closed(reason) => ended = Some(StreamEnd::Closed(reason)),
            SocketEvent::Failed(reason) => {
                ended = Some(if link.session.server_version().is_some() {
                    StreamEnd::Closed(reason)
                } else {
                    StreamEnd::Unreachable(reason)
                });
            }
        }
    }
    if let Some(end) = ended {
        warn!("world stream ended: {end}");
        link.socket = None;
        // A mismatch will not fix itself soon: wait the longest delay before asking again.
        let delay = match end {
            StreamEnd::ProtocolMismatch { .. } => link.backoff.longest_delay(),
            _ => link.backoff.next_delay(),
        };
        link.retry_at = time.elapsed_secs_f64() + delay.as_secs_f64();
        status.state = LinkState::Waiting {
            attempt: link.backoff.failures(),
            retry_at: link.retry_at,
        };
        status.last_end = Some(end);
    }
}

fn send_queued(mut queued: MessageReader<SendToServer>, link: Res<Link>, status: Res<LinkStatus>) {
    let live = status.state == LinkState::Live;
    for SendToServer(msg) in queued.read() {
        let Some(socket) = link.socket.as_ref().filter(|_| live) else {
            continue;
        };
        match codec::encode_client(msg, Format::Postcard) {
            Ok(frame) => {
                let _ = socket.outgoing.try_send(Outgoing::Frame(frame));
            }
            Err(error) => error!("could not encode {msg:?}: {error}"),
        }
    }
}

#[cfg(target_arch = "wasm32")]
fn flush_web_socket() {
    web_socket::flush_outgoing();
}

/// The client's Hello, sent first on every connection so a server can refuse it clearly.
pub fn hello() -> ClientMsg {
    ClientMsg::Hello {
        protocol_version: PROTOCOL_VERSION,
    }
}
