//! `WS /ws/world`: Hello, then a Snapshot, then one Delta per tick.
//!
//! Each client reads from the world's broadcast of encoded frames. A client that falls behind
//! by more than the broadcast buffer gets `Resync` and a fresh snapshot instead of slowing the
//! tick; one that stops reading for `ws_send_timeout_ms` is dropped. An oversized or
//! undecodable frame closes only that client's connection, with a reason.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade, close_code};
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use shared::codec::{self, Format, Frame};
use shared::{ClientMsg, PROTOCOL_VERSION, ServerMsg, Tick};
use tokio::sync::broadcast::error::RecvError;

use super::frames::server_message;
use crate::auth::Viewer;
use crate::http::error::ApiError;
use crate::http::extract::ApiQuery;
use crate::state::AppState;

/// Query of `WS /ws/world`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamQuery {
    /// `postcard` (default, binary frames) or `json` (text frames).
    pub format: Option<String>,
}

/// Accepts a stream request: the frame format its query asks for, and the upgrade limited
/// to `ws_frame_bytes_max` per client frame and message. Every stream starts here.
pub fn accept(
    ws: WebSocketUpgrade,
    query: &StreamQuery,
    state: &AppState,
) -> Result<(WebSocketUpgrade, Format), ApiError> {
    let format = match query.format.as_deref() {
        None => Format::Postcard,
        Some(name) => Format::parse(name).ok_or_else(|| {
            ApiError::unprocessable(
                "unknown_format",
                format!("unknown format {name:?}; use postcard or json"),
            )
        })?,
    };
    let frame_max = state.settings.stream.ws_frame_bytes_max;
    Ok((
        ws.max_message_size(frame_max).max_frame_size(frame_max),
        format,
    ))
}

/// Upgrades to the world stream.
pub async fn world_stream(
    _viewer: Viewer,
    ws: WebSocketUpgrade,
    ApiQuery(query): ApiQuery<StreamQuery>,
    State(state): State<AppState>,
) -> Result<Response, ApiError> {
    let (ws, format) = accept(ws, &query, &state)?;
    Ok(ws.on_upgrade(move |socket| serve_client(socket, format, state)))
}

/// Why a client's stream ended.
enum End {
    ClientLeft,
    Dropped,
    Close(u16, String),
}

async fn serve_client(socket: WebSocket, format: Format, state: AppState) {
    let metrics = state.metrics.clone();
    metrics.ws_clients.inc();
    let (mut sink, mut incoming) = socket.split();
    let send_timeout = Duration::from_millis(state.settings.stream.ws_send_timeout_ms);
    let mut client = ClientSink {
        sink: &mut sink,
        format,
        send_timeout,
        metrics: &metrics,
    };
    let end = run_stream(&mut client, &mut incoming, &state).await;
    if let End::Close(code, reason) = end {
        tracing::debug!(code, %reason, "closing a world stream");
        let close = Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        }));
        let _ = tokio::time::timeout(send_timeout, sink.send(close)).await;
    }
    metrics.ws_clients.dec();
}

async fn run_stream(
    client: &mut ClientSink<'_>,
    incoming: &mut futures_util::stream::SplitStream<WebSocket>,
    state: &AppState,
) -> End {
    let mut subscription = state.world.subscribe(client.format == Format::Json);
    let hello = ServerMsg::Hello {
        protocol_version: PROTOCOL_VERSION,
        server_version: env!("CARGO_PKG_VERSION").to_string(),
    };
    if !client.send(server_message(&hello, client.format)).await {
        return End::Dropped;
    }
    let Some(mut last_tick) = client.send_snapshot(state).await else {
        return End::Dropped;
    };
    let frame_max = state.settings.stream.ws_frame_bytes_max;
    loop {
        tokio::select! {
            () = state.world.frozen() => {
                // The world sent its last frame before freezing: pass on what is queued.
                while let Ok(frame) = subscription.receiver.try_recv() {
                    if frame.tick > last_tick && !client.send(frame.message(client.format)).await {
                        return End::Dropped;
                    }
                }
                return End::Close(close_code::AWAY, "server shutting down".into());
            }
            frame = subscription.receiver.recv() => match frame {
                Ok(frame) => {
                    if frame.tick > last_tick {
                        last_tick = frame.tick;
                        if !client.send(frame.message(client.format)).await {
                            return End::Dropped;
                        }
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    client.metrics.ws_resyncs.inc();
                    let resync = ServerMsg::Resync {
                        reason: format!("the client fell {missed} ticks behind"),
                    };
                    if !client.send(server_message(&resync, client.format)).await {
                        return End::Dropped;
                    }
                    match client.send_snapshot(state).await {
                        Some(tick) => last_tick = tick,
                        None => return End::Dropped,
                    }
                }
                Err(RecvError::Closed) => {
                    return End::Close(close_code::AWAY, "server shutting down".into());
                }
            },
            message = incoming.next() => {
                let frame = match message {
                    None | Some(Ok(Message::Close(_))) => return End::ClientLeft,
                    Some(Err(error)) => return read_error_end(error, client.metrics),
                    Some(Ok(Message::Binary(bytes))) => Frame::Binary(bytes.to_vec()),
                    Some(Ok(Message::Text(text))) => Frame::Text(text.as_str().to_string()),
                    // Pings are answered by the WebSocket layer; pongs need nothing.
                    Some(Ok(_)) => continue,
                };
                match codec::decode_client(&frame, client.format, frame_max) {
                    Ok(ClientMsg::Ping { nonce }) => {
                        if !client.send(server_message(&ServerMsg::Pong { nonce }, client.format)).await {
                            return End::Dropped;
                        }
                    }
                    Ok(ClientMsg::Hello { protocol_version }) if protocol_version == PROTOCOL_VERSION => {}
                    Ok(ClientMsg::Hello { protocol_version }) => {
                        let message = format!(
                            "this server speaks protocol {PROTOCOL_VERSION}, the client {protocol_version}"
                        );
                        client.send_error("protocol_mismatch", &message).await;
                        return End::Close(close_code::POLICY, message);
                    }
                    Err(error) => {
                        client.metrics.ws_closed_bad_frame.inc();
                        let message = error.to_string();
                        client.send_error("bad_frame", &message).await;
                        return End::Close(close_code::INVALID, truncate_reason(message));
                    }
                }
            }
        }
    }
}

/// Turns a read error into the close to send: a frame over the limit gets 1009 with the sizes.
fn read_error_end(error: axum::Error, metrics: &crate::metrics::Metrics) -> End {
    metrics.ws_closed_bad_frame.inc();
    let inner = error.into_inner();
    match inner.downcast_ref::<tungstenite::Error>() {
        Some(tungstenite::Error::Capacity(capacity)) => End::Close(
            close_code::SIZE,
            truncate_reason(format!("frame too large: {capacity}")),
        ),
        Some(tungstenite::Error::Protocol(protocol)) => {
            End::Close(close_code::PROTOCOL, truncate_reason(protocol.to_string()))
        }
        _ => End::Dropped,
    }
}

/// A close reason must fit in a control frame (123 bytes).
pub(super) fn truncate_reason(mut reason: String) -> String {
    if reason.len() > 120 {
        let mut cut = 120;
        while !reason.is_char_boundary(cut) {
            cut -= 1;
        }
        reason.truncate(cut);
    }
    reason
}

/// The sending half of one client, with its format, timeout and counters.
struct ClientSink<'a> {
    sink: &'a mut futures_util::stream::SplitSink<WebSocket, Message>,
    format: Format,
    send_timeout: Duration,
    metrics: &'a Arc<crate::metrics::Metrics>,
}

impl ClientSink<'_> {
    /// Sends one message; false when the client is gone or did not take it in time.
    async fn send(&mut self, message: Message) -> bool {
        let bytes = match &message {
            Message::Binary(b) => b.len(),
            Message::Text(t) => t.len(),
            _ => 0,
        };
        match tokio::time::timeout(self.send_timeout, self.sink.send(message)).await {
            Ok(Ok(())) => {
                self.metrics.ws_frames_sent.inc();
                self.metrics.ws_bytes_sent.inc_by(bytes as u64);
                true
            }
            _ => false,
        }
    }

    async fn send_error(&mut self, code: &str, message: &str) {
        let error = ServerMsg::Error {
            code: code.to_string(),
            message: message.to_string(),
        };
        self.send(server_message(&error, self.format)).await;
    }

    /// Sends a fresh snapshot; returns its tick.
    async fn send_snapshot(&mut self, state: &AppState) -> Option<Tick> {
        let snapshot = state.world.call(|world, _| world.snapshot()).await.ok()?;
        let tick = snapshot.tick;
        self.send(server_message(&ServerMsg::Snapshot(snapshot), self.format))
            .await
            .then_some(tick)
    }
}
