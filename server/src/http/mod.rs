//! The HTTP API: its routes, their OpenAPI document, and the layers every request passes. The
//! application's routers (this API with the streams, the town hall and the viewer's files) are
//! composed at the top, in `crate::app_router`; nothing here routes to `ws` or `town`.
//!
//! Routes are registered through `utoipa_axum`'s `routes!`, so a handler cannot be routed
//! without being documented, and the document is built from the same list.

pub mod admin_accounts;
pub mod admin_agents;
pub mod agent_control;
pub mod agent_writes;
pub mod api_socket;
pub mod auth_routes;
pub mod board_routes;
pub mod caller;
pub mod chat_routes;
pub mod credential_change;
pub mod economy_reads;
pub mod economy_routes;
pub mod error;
pub mod extract;
pub mod health;
pub mod llm_forward;
pub mod llm_routes;
pub mod moderation_routes;
pub mod notebook_routes;
pub mod openapi;
pub mod payment_routes;
pub mod request_id;
pub mod request_metrics;
pub mod request_timeout;
pub mod runtime_routes;
pub mod runtime_watch;
pub mod tool_call_routes;
pub mod viewer;
pub mod world_routes;

use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::{Extension, Router};
use shared::api::notebook::NOTEBOOK_BYTES_MAX;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use crate::auth::Channel;
use crate::state::AppState;
use error::ApiError;
use openapi::ApiDoc;
use request_id::RandomRequestId;

/// The documented routes and the OpenAPI document describing exactly them, with the error
/// answers every route shares (`openapi::with_shared_errors`).
pub fn api_routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (routes, document) = agent_door_routes(OpenApiRouter::with_openapi(ApiDoc::openapi()))
        .routes(routes!(auth_routes::register))
        .routes(routes!(auth_routes::login))
        .routes(routes!(auth_routes::refresh))
        .routes(routes!(auth_routes::logout))
        .routes(routes!(admin_agents::create_agent))
        .routes(routes!(admin_agents::revoke_agent))
        .routes(routes!(admin_agents::issue_token))
        .routes(routes!(admin_agents::switch_brain))
        .routes(routes!(
            agent_control::control_agent,
            agent_control::get_control
        ))
        .routes(routes!(admin_accounts::create_account))
        .routes(routes!(admin_accounts::set_role))
        .routes(routes!(admin_accounts::audit_log))
        .routes(routes!(moderation_routes::moderate))
        .routes(routes!(moderation_routes::moderate_reply))
        .routes(routes!(moderation_routes::review_queue))
        .routes(routes!(moderation_routes::moderate_chat_message))
        .routes(routes!(moderation_routes::list_decisions))
        .routes(routes!(economy_routes::reward))
        .routes(routes!(economy_routes::penalize))
        .routes(routes!(economy_routes::deposit))
        .routes(routes!(payment_routes::paypal_webhook))
        .routes(routes!(runtime_routes::runtime_agents))
        .routes(routes!(runtime_routes::runtime_token))
        .routes(routes!(runtime_routes::runtime_reports))
        .routes(routes!(runtime_watch::runtime_changes))
        .routes(routes!(health::metrics))
        .split_for_parts();
    (routes, openapi::with_shared_errors(document))
}

/// The routes an agent uses, and the only ones the agent door serves: reading the world and
/// its own perception, moving and acting, its tool calls and notebook, the board and its task
/// chats, its money and compute, the LLM gateway. No sign-up, sign-in, person or staff route
/// is here, so nothing arriving over an agent's socket can reach one (`auth::channel`).
pub fn agent_door_routes(router: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    router
        .routes(routes!(world_routes::get_world))
        .routes(routes!(world_routes::list_agents))
        .routes(routes!(world_routes::get_agent))
        .routes(routes!(world_routes::get_perception))
        .routes(routes!(agent_writes::move_agent))
        .routes(routes!(agent_writes::act))
        .routes(routes!(
            tool_call_routes::report_tool_call,
            tool_call_routes::list_tool_calls
        ))
        // A notebook within its own limits may pass the general body limit.
        .routes(
            routes!(notebook_routes::publish_notebook)
                .layer(DefaultBodyLimit::max(NOTEBOOK_BYTES_MAX)),
        )
        .routes(routes!(notebook_routes::get_notebook))
        .routes(routes!(board_routes::create_post, board_routes::list_posts))
        .routes(routes!(board_routes::get_post))
        .routes(routes!(board_routes::create_reply))
        .routes(routes!(chat_routes::open_chat, chat_routes::list_chats))
        .routes(routes!(chat_routes::get_chat))
        .routes(routes!(chat_routes::send_message))
        .routes(routes!(economy_reads::balance))
        .routes(routes!(economy_reads::ledger))
        .routes(routes!(economy_routes::purchase))
        .routes(routes!(llm_routes::list_models))
        .routes(routes!(llm_routes::chat_completions))
        .routes(routes!(health::healthz))
}

/// The layers every request passes, whichever door it came through.
pub fn with_layers(app: Router<AppState>, channel: Channel, state: AppState) -> Router {
    let timeout = request_timeout::Timeouts {
        default: Duration::from_millis(state.settings.http.request_timeout_ms),
        llm: Duration::from_millis(state.settings.llm.upstream_timeout_ms),
    };
    app.method_not_allowed_fallback(method_not_allowed)
        // Innermost first: the door, the body limit, then the timeout (so a 408 is counted),
        // then tracing, then the request id (it exists before anything logs or audits, and
        // goes back out), then the front door: the request counter, which also drops an unfit
        // caller-given id first. One `from_fn` layer fewer than a middleware per concern: each
        // boxes every request's future (see P3 in docs/PERFORMANCE.md).
        .layer(Extension(channel))
        .layer(DefaultBodyLimit::max(state.settings.http.body_bytes_max))
        .layer(axum::middleware::from_fn_with_state(
            timeout,
            request_timeout::limit_duration,
        ))
        .layer(TraceLayer::new_for_http())
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(RandomRequestId))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            request_metrics::count_requests,
        ))
        .with_state(state)
}

pub async fn not_at_the_agent_door() -> ApiError {
    ApiError::not_found(
        "not_at_the_agent_door",
        "the agent API socket serves only the routes agents use; people, staff and services \
         use the public listener",
    )
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not take that method; see /api-docs/openapi.json",
    )
}
