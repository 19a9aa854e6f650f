//! The HTTP API: routes, their OpenAPI document, and the layers every request passes.
//!
//! Routes are registered through `utoipa_axum`'s `routes!`, so a handler cannot be routed
//! without being documented, and the document is built from the same list.

pub mod agent_writes;
pub mod dev_auth;
pub mod error;
pub mod extract;
pub mod health;
pub mod request_metrics;
pub mod request_timeout;
pub mod world_routes;

use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::get;
use tower_http::trace::TraceLayer;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;
use crate::ws::world_stream::world_stream;
use error::ApiError;

/// The document's header; paths come from the router.
#[derive(OpenApi)]
#[openapi(
    info(title = "AI Village API", description = "The authoritative world server of AI Village."),
    modifiers(&DevTokenScheme),
    tags(
        (name = "world", description = "The tile world as a whole"),
        (name = "agents", description = "Agents: reading, creating, moving, acting"),
        (name = "operations", description = "Health and metrics")
    )
)]
struct ApiDoc;

struct DevTokenScheme;

impl Modify for DevTokenScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "dev_token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The documented routes and the OpenAPI document describing exactly them.
pub fn api_routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(world_routes::get_world))
        .routes(routes!(
            world_routes::list_agents,
            agent_writes::create_agent
        ))
        .routes(routes!(world_routes::get_agent))
        .routes(routes!(world_routes::get_perception))
        .routes(routes!(agent_writes::move_agent))
        .routes(routes!(agent_writes::act))
        .routes(routes!(health::healthz))
        .routes(routes!(health::metrics))
        .split_for_parts()
}

/// The whole application router.
pub fn router(state: AppState) -> Router {
    let (api, openapi) = api_routes();
    let timeout = Duration::from_millis(state.settings.http.request_timeout_ms);
    api.route("/ws/world", get(world_stream))
        .route(
            "/api-docs/openapi.json",
            get(move || async move { Json(openapi) }),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // Innermost first: the body limit, then the timeout (so a 408 is counted), then the
        // request counter, then tracing.
        .layer(DefaultBodyLimit::max(state.settings.http.body_bytes_max))
        .layer(axum::middleware::from_fn_with_state(
            timeout,
            request_timeout::limit_duration,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            request_metrics::count_requests,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::not_found("no_route", "no such route; see /api-docs/openapi.json")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not take that method; see /api-docs/openapi.json",
    )
}
