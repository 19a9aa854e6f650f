//! A tick's delta, encoded once per wire format by the world task and shared by every stream
//! that sends it (`ws::world_stream`): its own home, so the world depends on no transport
//! module for it.

use std::time::Instant;

use axum::body::Bytes;
use axum::extract::ws::{Message, Utf8Bytes};
use shared::codec::{self, Format, Frame};
use shared::{Delta, ServerMsg, Tick};

/// One tick's delta in wire form. JSON is encoded only when a JSON client was subscribed when
/// the tick ended; a JSON client that joined later encodes its own copy.
#[derive(Debug)]
pub struct TickFrame {
    pub tick: Tick,
    pub delta: Delta,
    pub postcard: Bytes,
    pub json: Option<Utf8Bytes>,
    /// When the world finished encoding it (the start of tick-to-frame latency).
    pub encoded_at: Instant,
}

impl TickFrame {
    pub fn encode(delta: Delta, want_json: bool) -> TickFrame {
        let msg = ServerMsg::Delta(delta);
        let postcard = match codec::encode_server(&msg, Format::Postcard) {
            Ok(Frame::Binary(bytes)) => Bytes::from(bytes),
            // Encoding plain data to postcard cannot fail; an empty frame would be a bug.
            other => unreachable!("postcard encoding of a delta gave {other:?}"),
        };
        let json = want_json.then(|| encode_json(&msg));
        let ServerMsg::Delta(delta) = msg else {
            unreachable!("built as a delta above")
        };
        TickFrame {
            tick: delta.tick,
            delta,
            postcard,
            json,
            encoded_at: Instant::now(),
        }
    }

    /// The frame as a WebSocket message in `format`.
    pub fn message(&self, format: Format) -> Message {
        match format {
            Format::Postcard => Message::Binary(self.postcard.clone()),
            Format::Json => Message::Text(match &self.json {
                Some(json) => json.clone(),
                None => encode_json(&ServerMsg::Delta(self.delta.clone())),
            }),
        }
    }
}

/// Encodes any server message as a WebSocket message in `format`.
pub fn server_message(msg: &ServerMsg, format: Format) -> Message {
    match codec::encode_server(msg, format) {
        Ok(Frame::Binary(bytes)) => Message::Binary(Bytes::from(bytes)),
        Ok(Frame::Text(text)) => Message::Text(Utf8Bytes::from(text)),
        // Serialising plain data structures to postcard or JSON does not fail.
        Err(e) => unreachable!("encoding a server message failed: {e}"),
    }
}

fn encode_json(msg: &ServerMsg) -> Utf8Bytes {
    match server_message(msg, Format::Json) {
        Message::Text(text) => text,
        _ => unreachable!("JSON gives text frames"),
    }
}
