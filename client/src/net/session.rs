//! One world-stream connection as a sequence of frames: the rules a frame must follow before
//! the viewer believes it. `Hello` comes first and must speak our protocol; then a snapshot;
//! then deltas. Anything else ends the connection with a reason the status line can show.
//!
//! No sockets here: the socket backends feed frames in, so these rules are tested on bytes.

use shared::codec::{self, Format, Frame};
use shared::{PROTOCOL_VERSION, ServerMsg};
use thiserror::Error;

/// The largest frame the viewer decodes; a snapshot of 10,000 agents is about 1.5 MB.
pub const STREAM_FRAME_BYTES_MAX: usize = 32 * 1024 * 1024;

/// Why a connection ended.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StreamEnd {
    #[error("protocol mismatch: the server speaks protocol {server}, this viewer {client}")]
    ProtocolMismatch { server: u32, client: u32 },
    #[error("the server sent something this viewer cannot read: {0}")]
    BadFrame(String),
    #[error("the server refused the stream ({code}): {message}")]
    Refused { code: String, message: String },
    #[error("connection closed: {0}")]
    Closed(String),
    #[error("could not connect: {0}")]
    Unreachable(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    AwaitingHello,
    AwaitingSnapshot,
    Live,
}

/// The state of one connection's frame sequence.
#[derive(Debug)]
pub struct StreamSession {
    stage: Stage,
    server_version: Option<String>,
}

impl Default for StreamSession {
    fn default() -> Self {
        Self::new()
    }
}

impl StreamSession {
    pub fn new() -> Self {
        Self {
            stage: Stage::AwaitingHello,
            server_version: None,
        }
    }

    /// Whether the snapshot has arrived (the connection is worth resetting the backoff for).
    pub fn is_live(&self) -> bool {
        self.stage == Stage::Live
    }

    pub fn server_version(&self) -> Option<&str> {
        self.server_version.as_deref()
    }

    /// Reads one frame. `Ok(Some(msg))` is world data for the model (Snapshot, Delta, Resync,
    /// Pong); `Ok(None)` was consumed here (Hello); `Err` ends the connection.
    pub fn on_frame(&mut self, frame: &Frame) -> Result<Option<ServerMsg>, StreamEnd> {
        let msg = codec::decode_server(frame, Format::Postcard, STREAM_FRAME_BYTES_MAX)
            .map_err(|e| StreamEnd::BadFrame(e.to_string()))?;
        match (self.stage, msg) {
            // The server closes after these; others (a refused viewport) leave the stream open.
            (_, ServerMsg::Error { code, .. }) if code == "protocol_mismatch" => {
                Err(StreamEnd::ProtocolMismatch {
                    server: 0,
                    client: PROTOCOL_VERSION,
                })
            }
            (_, ServerMsg::Error { code, message }) if code == "bad_frame" => {
                Err(StreamEnd::Refused { code, message })
            }
            (_, msg @ ServerMsg::Error { .. }) => Ok(Some(msg)),
            (
                Stage::AwaitingHello,
                ServerMsg::Hello {
                    protocol_version,
                    server_version,
                },
            ) => {
                if protocol_version != PROTOCOL_VERSION {
                    return Err(StreamEnd::ProtocolMismatch {
                        server: protocol_version,
                        client: PROTOCOL_VERSION,
                    });
                }
                self.server_version = Some(server_version);
                self.stage = Stage::AwaitingSnapshot;
                Ok(None)
            }
            (Stage::AwaitingHello, other) => Err(StreamEnd::BadFrame(format!(
                "expected Hello first, got {}",
                kind(&other)
            ))),
            (_, ServerMsg::Hello { .. }) => Err(StreamEnd::BadFrame("a second Hello".into())),
            (_, msg @ ServerMsg::Snapshot(_)) => {
                self.stage = Stage::Live;
                Ok(Some(msg))
            }
            (
                Stage::AwaitingSnapshot,
                msg @ (ServerMsg::Resync { .. } | ServerMsg::Pong { .. }),
            ) => Ok(Some(msg)),
            (Stage::AwaitingSnapshot, other) => Err(StreamEnd::BadFrame(format!(
                "expected a Snapshot, got {}",
                kind(&other)
            ))),
            (Stage::Live, msg @ ServerMsg::Resync { .. }) => {
                self.stage = Stage::AwaitingSnapshot;
                Ok(Some(msg))
            }
            (Stage::Live, msg) => Ok(Some(msg)),
        }
    }
}

fn kind(msg: &ServerMsg) -> &'static str {
    match msg {
        ServerMsg::Hello { .. } => "Hello",
        ServerMsg::Snapshot(_) => "Snapshot",
        ServerMsg::Delta(_) => "Delta",
        ServerMsg::Resync { .. } => "Resync",
        ServerMsg::Error { .. } => "Error",
        ServerMsg::Pong { .. } => "Pong",
        ServerMsg::Board(_) => "Board",
        ServerMsg::Chat(_) => "Chat",
    }
}
