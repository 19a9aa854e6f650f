//! Serving one broadcast of committed events (board changes, chat messages) to a WebSocket
//! client: Hello, then each event the client may see as one `ServerMsg`.
//!
//! A client that falls behind by more than the broadcast buffer gets `Resync` (with a hint of
//! what to re-read) and goes on from the newest event; one that stops reading for
//! `ws_send_timeout_ms` is dropped. Clients may send `Ping`; anything undecodable closes the
//! connection with 1007. The stream closes with 1001 when the server shuts down.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, close_code};
use futures_util::{SinkExt, StreamExt};
use shared::codec::{self, Format, Frame};
use shared::{ClientMsg, PROTOCOL_VERSION, ServerMsg};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

use super::world_stream::truncate_reason;
use crate::state::AppState;
use crate::tick_frame::server_message;

/// Serves `events` to `socket` until either side ends. `visible` turns an event into the
/// message this client gets, or `None` when it is not for this client. `still_allowed` is
/// asked before each delivery: once it says no (the caller's token was revoked or expired),
/// the stream closes with 1008 instead. The receiver must be subscribed before the upgrade so
/// nothing committed after the client connected is missed.
pub async fn serve_events<T>(
    socket: WebSocket,
    format: Format,
    state: AppState,
    mut events: broadcast::Receiver<Arc<T>>,
    visible: impl Fn(&T) -> Option<ServerMsg>,
    still_allowed: impl Fn() -> bool,
    resync_hint: &str,
) where
    T: Send + Sync + 'static,
{
    let (mut sink, mut incoming) = socket.split();
    let send_timeout = Duration::from_millis(state.settings.stream.ws_send_timeout_ms);
    let frame_max = state.settings.stream.ws_frame_bytes_max;
    let mut send = async |message: ServerMsg| -> bool {
        let frame = server_message(&message, format);
        matches!(
            tokio::time::timeout(send_timeout, sink.send(frame)).await,
            Ok(Ok(()))
        )
    };
    let hello = ServerMsg::Hello {
        protocol_version: PROTOCOL_VERSION,
        server_version: env!("CARGO_PKG_VERSION").to_string(),
    };
    if !send(hello).await {
        return;
    }
    let close: Option<(u16, String)> = loop {
        tokio::select! {
            () = state.shutdown.cancelled() => break Some((close_code::AWAY, "server shutting down".into())),
            event = events.recv() => match event {
                Ok(event) => {
                    let Some(message) = visible(&event) else {
                        continue;
                    };
                    if !still_allowed() {
                        break Some((close_code::POLICY, "the token was revoked or has expired".into()));
                    }
                    if !send(message).await {
                        break None;
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    let resync = ServerMsg::Resync {
                        reason: format!("the client missed {missed} events; {resync_hint}"),
                    };
                    if !send(resync).await {
                        break None;
                    }
                }
                Err(RecvError::Closed) => break Some((close_code::AWAY, "server shutting down".into())),
            },
            message = incoming.next() => {
                let frame = match message {
                    None | Some(Ok(Message::Close(_))) | Some(Err(_)) => break None,
                    Some(Ok(Message::Binary(bytes))) => Frame::Binary(bytes.to_vec()),
                    Some(Ok(Message::Text(text))) => Frame::Text(text.as_str().to_string()),
                    Some(Ok(_)) => continue,
                };
                match codec::decode_client(&frame, format, frame_max) {
                    Ok(ClientMsg::Ping { nonce }) => {
                        if !send(ServerMsg::Pong { nonce }).await {
                            break None;
                        }
                    }
                    // Board and chat events are not placed on the map: a viewport changes nothing.
                    Ok(ClientMsg::Hello { .. } | ClientMsg::Viewport { .. }) => {}
                    Err(error) => {
                        break Some((close_code::INVALID, truncate_reason(format!("undecodable frame: {error}"))));
                    }
                }
            }
        }
    };
    if let Some((code, reason)) = close {
        let close = Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        }));
        let _ = tokio::time::timeout(send_timeout, sink.send(close)).await;
    }
}
