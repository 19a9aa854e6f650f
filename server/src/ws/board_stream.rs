//! `WS /ws/board`: Hello, then every committed board change as `ServerMsg::Board`, for
//! anyone who may read the board (see `event_stream.rs` for lag, timeouts and closing).

use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::response::Response;
use shared::ServerMsg;

use super::event_stream::serve_events;
use super::world_stream::{StreamQuery, accept};
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
    let (ws, format) = accept(ws, &query, &state)?;
    let events = state.board_events.subscribe();
    Ok(ws.on_upgrade(move |socket| {
        serve_events(
            socket,
            format,
            state,
            events,
            |event| Some(ServerMsg::Board(event.clone())),
            // The board is public to whoever opened the stream.
            || true,
            "re-read GET /board/posts",
        )
    }))
}
