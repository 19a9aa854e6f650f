//! The only place that turns protocol messages into bytes and back.
//!
//! Two wire formats: postcard in binary frames (the default, compact) and JSON in text frames
//! (`?format=json`, for people and scripts). Decoding checks the size before it parses, so an
//! oversized input costs nothing but the check.

use serde::Serialize;
use serde::de::DeserializeOwned;
use thiserror::Error;

use crate::protocol::{ClientMsg, ServerMsg};

/// A wire format of the world stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Format {
    /// postcard in binary WebSocket frames.
    #[default]
    Postcard,
    /// JSON in text WebSocket frames.
    Json,
}

impl Format {
    /// Reads the `format` query value: `postcard` (or nothing) and `json`.
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "postcard" | "binary" => Some(Format::Postcard),
            "json" => Some(Format::Json),
            _ => None,
        }
    }
}

/// One encoded message, ready to become a WebSocket frame of the matching kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    Binary(Vec<u8>),
    Text(String),
}

impl Frame {
    /// Bytes on the wire, before WebSocket framing.
    pub fn len(&self) -> usize {
        match self {
            Frame::Binary(bytes) => bytes.len(),
            Frame::Text(text) => text.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Why a message could not be encoded or decoded.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum CodecError {
    #[error("message is {len} bytes, more than the limit of {max} bytes")]
    TooLarge { len: usize, max: usize },
    #[error("message is not valid {format}: {detail}")]
    Malformed {
        format: &'static str,
        detail: String,
    },
    #[error("a {got} frame arrived where {expected} frames are spoken")]
    WrongFrameKind {
        got: &'static str,
        expected: &'static str,
    },
    #[error("could not encode message: {0}")]
    Encode(String),
}

/// Encodes a server message in `format`.
pub fn encode_server(msg: &ServerMsg, format: Format) -> Result<Frame, CodecError> {
    encode(msg, format)
}

/// Encodes a client message in `format`.
pub fn encode_client(msg: &ClientMsg, format: Format) -> Result<Frame, CodecError> {
    encode(msg, format)
}

/// Decodes a client message, refusing anything over `max_bytes` before parsing it.
pub fn decode_client(
    frame: &Frame,
    format: Format,
    max_bytes: usize,
) -> Result<ClientMsg, CodecError> {
    decode(frame, format, max_bytes)
}

/// Decodes a server message, refusing anything over `max_bytes` before parsing it.
pub fn decode_server(
    frame: &Frame,
    format: Format,
    max_bytes: usize,
) -> Result<ServerMsg, CodecError> {
    decode(frame, format, max_bytes)
}

fn encode<T: Serialize>(msg: &T, format: Format) -> Result<Frame, CodecError> {
    match format {
        Format::Postcard => postcard::to_allocvec(msg)
            .map(Frame::Binary)
            .map_err(|e| CodecError::Encode(e.to_string())),
        Format::Json => serde_json::to_string(msg)
            .map(Frame::Text)
            .map_err(|e| CodecError::Encode(e.to_string())),
    }
}

fn decode<T: DeserializeOwned>(
    frame: &Frame,
    format: Format,
    max_bytes: usize,
) -> Result<T, CodecError> {
    if frame.len() > max_bytes {
        return Err(CodecError::TooLarge {
            len: frame.len(),
            max: max_bytes,
        });
    }
    match (format, frame) {
        (Format::Postcard, Frame::Binary(bytes)) => {
            postcard::from_bytes(bytes).map_err(|e| CodecError::Malformed {
                format: "postcard",
                detail: e.to_string(),
            })
        }
        (Format::Json, Frame::Text(text)) => {
            serde_json::from_str(text).map_err(|e| CodecError::Malformed {
                format: "JSON",
                detail: e.to_string(),
            })
        }
        (Format::Postcard, Frame::Text(_)) => Err(CodecError::WrongFrameKind {
            got: "text",
            expected: "binary (postcard)",
        }),
        (Format::Json, Frame::Binary(_)) => Err(CodecError::WrongFrameKind {
            got: "binary",
            expected: "text (JSON)",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::{Activity, AgentStatus, AgentView, Facing};
    use crate::ids::{AgentId, Tick, TilePos};
    use crate::protocol::{Delta, Moved, Snapshot, Speech};
    use crate::world::{Landmark, MapInfo, TileRect};

    fn sample_snapshot() -> ServerMsg {
        ServerMsg::Snapshot(Snapshot {
            tick: Tick(42),
            map: MapInfo {
                file: "maps/village.tmx".into(),
                width: 48,
                height: 32,
                tile_width_px: 16,
                tile_height_px: 16,
            },
            landmarks: vec![Landmark {
                key: "cafe".into(),
                label: "Café Lumen".into(),
                kind: "cafe".into(),
                area: TileRect {
                    x: 1,
                    y: 2,
                    w: 3,
                    h: 4,
                },
            }],
            agents: vec![AgentView {
                id: AgentId(7),
                display_name: "Ada Quill".into(),
                persona: "a tinkerer".into(),
                home: Some("home-ash".into()),
                pos: TilePos::new(3, 4),
                facing: Facing::West,
                status: AgentStatus::Online,
                activity: Activity::idle(),
                last_seen_ms: 1_700_000_000_000,
                tier: "seedling".into(),
            }],
        })
    }

    #[test]
    fn server_messages_round_trip_in_both_formats() {
        // Whatever the server encodes, a client decodes to the same value, in either format.
        let delta = ServerMsg::Delta(Delta {
            moved: vec![Moved {
                id: AgentId(1),
                pos: TilePos::new(9, 9),
                facing: Facing::North,
            }],
            speech: vec![Speech {
                id: AgentId(1),
                pos: TilePos::new(9, 9),
                text: "hello".into(),
            }],
            ..Delta::empty(Tick(5))
        });
        for msg in [sample_snapshot(), delta, ServerMsg::Pong { nonce: 3 }] {
            for format in [Format::Postcard, Format::Json] {
                let frame = encode_server(&msg, format).unwrap();
                assert_eq!(decode_server(&frame, format, 1 << 20).unwrap(), msg);
            }
        }
    }

    #[test]
    fn oversized_input_is_refused_before_parsing() {
        // A frame over the limit is refused with its size, even when it would parse.
        let frame = encode_client(&ClientMsg::Ping { nonce: 1 }, Format::Json).unwrap();
        let err = decode_client(&frame, Format::Json, 4).unwrap_err();
        assert_eq!(
            err,
            CodecError::TooLarge {
                len: frame.len(),
                max: 4
            }
        );
    }

    #[test]
    fn garbage_and_wrong_frame_kinds_are_errors_not_panics() {
        // Random bytes, truncated messages and the wrong frame kind all give errors.
        let good = encode_client(&ClientMsg::Ping { nonce: 99 }, Format::Postcard).unwrap();
        let Frame::Binary(bytes) = good else {
            panic!("postcard gives binary frames")
        };
        let truncated = Frame::Binary(bytes[..1].to_vec());
        assert!(matches!(
            decode_client(&truncated, Format::Postcard, 1024),
            Err(CodecError::Malformed { .. })
        ));
        let junk = Frame::Binary(vec![0xff; 32]);
        assert!(decode_client(&junk, Format::Postcard, 1024).is_err());
        let text = Frame::Text("{\"Ping\":{\"nonce\":1}}".into());
        assert!(matches!(
            decode_client(&text, Format::Postcard, 1024),
            Err(CodecError::WrongFrameKind { .. })
        ));
        assert!(decode_client(&Frame::Text("{nope".into()), Format::Json, 1024).is_err());
    }

    #[test]
    fn postcard_is_much_smaller_than_json() {
        // The binary format is the compact one.
        let msg = sample_snapshot();
        let bin = encode_server(&msg, Format::Postcard).unwrap().len();
        let json = encode_server(&msg, Format::Json).unwrap().len();
        assert!(bin * 2 < json, "postcard {bin} B vs JSON {json} B");
    }
}
