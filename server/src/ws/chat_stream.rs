//! `WS /ws/chats`: Hello, then every new message in the caller's own task chats as
//! `ServerMsg::Chat`. Signed-in callers only; a message reaches the chat's person and agent and
//! nobody else (admins read chats over HTTP, not live). The caller's token is checked again
//! before each delivery: once it is revoked, replaced or expired the stream closes with 1008.
//! See `event_stream.rs` for lag, timeouts and closing.

use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::response::Response;
use shared::ServerMsg;

use super::event_stream::serve_events;
use super::world_stream::{StreamQuery, accept};
use crate::auth::Principal;
use crate::http::error::ApiError;
use crate::http::extract::ApiQuery;
use crate::state::AppState;

/// Upgrades to the caller's chat stream.
pub async fn chat_stream(
    principal: Principal,
    ws: WebSocketUpgrade,
    ApiQuery(query): ApiQuery<StreamQuery>,
    State(state): State<AppState>,
) -> Result<Response, ApiError> {
    let (ws, format) = accept(ws, &query, &state)?;
    let events = state.chat_events.subscribe();
    let checker = state.clone();
    let member = principal.clone();
    Ok(ws.on_upgrade(move |socket| {
        serve_events(
            socket,
            format,
            state,
            events,
            move |delivery| {
                member
                    .is_chat_member(delivery.human_account_id, delivery.agent_id)
                    .then(|| ServerMsg::Chat(delivery.message.clone()))
            },
            move || principal.still_valid(&checker.credentials),
            "re-read GET /chats",
        )
    }))
}
