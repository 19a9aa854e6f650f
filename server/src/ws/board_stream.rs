//! `WS /ws/board`: Hello, then every committed board change as `ServerMsg::Board`.
//!
//! Each client reads from the board's broadcast. One that falls behind by more than
//! `board.stream_queue_events` gets `Resync` (re-read `GET /board/posts`) and goes on from the
//! newest event; one that stops reading for `ws_send_timeout_ms` is dropped. Clients may send
//! `Ping`; anything undecodable closes the connection with 1007.

use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade, close_code};
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use shared::codec::{self, Format, Frame};
use shared::{ClientMsg, PROTOCOL_VERSION, ServerMsg};
use tokio::sync::broadcast::error::RecvError;

use super::frames::server_message;
use super::world_stream::{StreamQuery, stream_format, truncate_reason, upgrade};
use crate::auth::Viewer;
use crate::http::error::ApiError;
use crate::http::extract::ApiQuery;
use crate::state::AppState;

/// Upgrades to the board stream.
pub async fn board_stream(
    _viewer: Viewer,
    ws: WebSocketUpgrade,
    ApiQuery(query): ApiQuery<StreamQuery>,
    State(state): State<AppState>,
) -> Result<Response, ApiError> {
    let format = stream_format(&query)?;
    let frame_max = state.settings.stream.ws_frame_bytes_max;
    Ok(upgrade(ws, frame_max, move |socket| {
        serve_client(socket, format, state)
    }))
}

async fn serve_client(socket: WebSocket, format: Format, state: AppState) {
    // Subscribe before Hello, so nothing committed after the client connected is missed.
    let mut events = state.board_events.subscribe();
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
                    if !send(ServerMsg::Board((*event).clone())).await {
                        break None;
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    let resync = ServerMsg::Resync {
                        reason: format!("the client missed {missed} board events; re-read GET /board/posts"),
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
                    Ok(ClientMsg::Hello { .. }) => {}
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
