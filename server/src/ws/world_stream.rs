//! `WS /ws/world`: Hello, then a Snapshot, then one Delta per tick.
//!
//! Each client reads from the world's broadcast of encoded frames. A client that falls behind
//! by more than the broadcast buffer gets `Resync` and a fresh snapshot instead of slowing the
//! tick; one that stops reading for `ws_send_timeout_ms` is dropped. An oversized or
//! undecodable frame closes only that client's connection, with a reason. A client that sends
//! `Viewport` gets from then on only its share of each delta, encoded for it alone (the
//! filtering itself is `interest.rs`); the others share the world's encoded frames.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade, close_code};
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use shared::codec::{self, Format, Frame};
use shared::{ClientMsg, PROTOCOL_VERSION, ServerMsg, Tick, TileRect};
use tokio::sync::broadcast::error::RecvError;

use super::interest::{ViewportFilter, interest_area};
use crate::auth::Viewer;
use crate::http::error::ApiError;
use crate::http::extract::ApiQuery;
use crate::state::AppState;
use crate::tick_frame::{TickFrame, server_message};

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
    // None until the client sends a Viewport: until then it gets the whole world.
    let mut filter: Option<ViewportFilter> = None;
    let Some(mut last_tick) = client.send_snapshot(state, &mut filter).await else {
        return End::Dropped;
    };
    let frame_max = state.settings.stream.ws_frame_bytes_max;
    loop {
        tokio::select! {
            () = state.world.frozen() => {
                // The world sent its last frame before freezing: pass on what is queued.
                while let Ok(frame) = subscription.receiver.try_recv() {
                    if frame.tick > last_tick {
                        match client.send_frame(&frame, &mut filter, state).await {
                            Some(tick) => last_tick = tick,
                            None => return End::Dropped,
                        }
                    }
                }
                return End::Close(close_code::AWAY, "server shutting down".into());
            }
            frame = subscription.receiver.recv() => match frame {
                Ok(frame) => {
                    if frame.tick > last_tick {
                        match client.send_frame(&frame, &mut filter, state).await {
                            Some(tick) => last_tick = tick,
                            None => return End::Dropped,
                        }
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    let reason = format!("the client fell {missed} ticks behind");
                    match client.resync(state, &mut filter, reason).await {
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
                    Ok(ClientMsg::Viewport { area }) => {
                        if !client.set_viewport(state, &mut filter, area).await {
                            return End::Dropped;
                        }
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

    /// Sends an `Error`; false when the client is gone.
    async fn send_error(&mut self, code: &str, message: &str) -> bool {
        let error = ServerMsg::Error {
            code: code.to_string(),
            message: message.to_string(),
        };
        self.send(server_message(&error, self.format)).await
    }

    /// Sends a fresh snapshot, only the viewport's agents when the client set one (and the
    /// filter starts over from it); returns its tick.
    async fn send_snapshot(
        &mut self,
        state: &AppState,
        filter: &mut Option<ViewportFilter>,
    ) -> Option<Tick> {
        let snapshot = state.world.call(|world, _| world.snapshot()).await.ok()?;
        let tick = snapshot.tick;
        let sent = match filter {
            None => snapshot,
            Some(current) => {
                let (fresh, sent) = ViewportFilter::from_snapshot(snapshot, current.area());
                *current = fresh;
                sent
            }
        };
        self.send(server_message(&ServerMsg::Snapshot(sent), self.format))
            .await
            .then_some(tick)
    }

    /// Sends `Resync` with `reason`, then a fresh snapshot; returns its tick.
    async fn resync(
        &mut self,
        state: &AppState,
        filter: &mut Option<ViewportFilter>,
        reason: String,
    ) -> Option<Tick> {
        self.metrics.ws_resyncs.inc();
        let resync = ServerMsg::Resync { reason };
        if !self.send(server_message(&resync, self.format)).await {
            return None;
        }
        self.send_snapshot(state, filter).await
    }

    /// Sends one tick's frame: as the world encoded it, or the client's share of it when it
    /// set a viewport. Returns the last tick the client now has (a resync's snapshot may be
    /// later than the frame); None when the client is gone.
    async fn send_frame(
        &mut self,
        frame: &TickFrame,
        filter: &mut Option<ViewportFilter>,
        state: &AppState,
    ) -> Option<Tick> {
        let message = match filter {
            None => frame.message(self.format),
            Some(current) => match current.filter(&frame.delta) {
                Ok(Some(delta)) => server_message(&ServerMsg::Delta(delta), self.format),
                // Before the filter's start: the client gets it whole.
                Ok(None) => frame.message(self.format),
                // Cannot happen while every frame passes here in order; start over if it does.
                Err(gap) => {
                    tracing::warn!(%gap, "a filtered world stream missed a tick");
                    let reason = format!("the stream missed ticks: {gap}");
                    return self.resync(state, filter, reason).await;
                }
            },
        };
        self.send(message).await.then_some(frame.tick)
    }

    /// Applies a `Viewport`: refuses a bad one with `bad_viewport` (the stream goes on as
    /// before), else filters from the next delta on. False when the client is gone.
    async fn set_viewport(
        &mut self,
        state: &AppState,
        filter: &mut Option<ViewportFilter>,
        area: TileRect,
    ) -> bool {
        let settings = &state.settings.stream;
        let area = match interest_area(
            area,
            settings.viewport_margin_tiles,
            state.map.width(),
            state.map.height(),
            settings.viewport_tiles_max,
        ) {
            Ok(area) => area,
            Err(refused) => return self.send_error("bad_viewport", &refused.to_string()).await,
        };
        match filter {
            Some(current) => current.set_area(area),
            None => {
                // The client has had (or will get, before any filtered delta) every delta up
                // to this snapshot, so it has been told about every agent in it.
                match state.world.call(|world, _| world.snapshot()).await {
                    Ok(snapshot) => {
                        *filter = Some(ViewportFilter::after_full_snapshot(snapshot, area));
                    }
                    Err(unavailable) => {
                        return self
                            .send_error("viewport_not_applied", &unavailable.to_string())
                            .await;
                    }
                }
            }
        }
        true
    }
}
