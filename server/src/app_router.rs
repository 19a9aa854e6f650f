//! The application's two routers, composed at the top from their parts: the documented HTTP
//! API (`http`), the WebSocket streams (`ws`), the town hall's pages (`town`) and the web
//! viewer's files, each wrapped in the layers every request passes (`http::with_layers`).
//! Composition only: no handler and no decision lives here.

use axum::routing::get;
use axum::{Json, Router};
use utoipa_axum::router::OpenApiRouter;

use crate::auth::Channel;
use crate::http::{agent_door_routes, api_routes, not_at_the_agent_door, viewer, with_layers};
use crate::state::AppState;
use crate::ws::board_stream::board_stream;
use crate::ws::chat_stream::chat_stream;
use crate::ws::world_stream::world_stream;

/// The whole application router, for the public listener.
pub fn router(state: AppState) -> Router {
    let (api, openapi) = api_routes();
    // What no route matches: the web viewer's files for GET and HEAD outside the API's
    // prefixes, else the JSON 404.
    let viewer = viewer::ViewerFiles::new(&state.settings.server.viewer_dir);
    let app = api
        .route("/ws/world", get(world_stream))
        .route("/ws/board", get(board_stream))
        .route("/ws/chats", get(chat_stream))
        .nest("/town", crate::town::routes())
        .route(
            "/api-docs/openapi.json",
            get(move || async move { Json(openapi) }),
        )
        .fallback(move |request: axum::extract::Request| viewer.clone().serve(request));
    with_layers(app, Channel::Public, state)
}

/// The agent door's router (the API socket, `server.agent_bind`): the agent routes only, and
/// every request marked as come through the agent door, where only agent tokens are let in.
pub fn agent_door_router(state: AppState) -> Router {
    let (api, _) = agent_door_routes(OpenApiRouter::new()).split_for_parts();
    let app = api
        .route("/ws/board", get(board_stream))
        .route("/ws/chats", get(chat_stream))
        .fallback(not_at_the_agent_door);
    with_layers(app, Channel::AgentDoor, state)
}
