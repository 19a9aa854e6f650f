//! The launcher daemon (`village-runtime`): settings, the link to the server, the agent
//! image recipe, metrics and the loop that runs reconcile passes. The decisions live in the
//! layers below (`plan`, `reconcile`); this module only wires them to the world outside.

pub mod agent_image;
pub mod daemon;
pub mod egress_setup;
pub mod hints;
pub mod metrics;
pub mod reports;
pub mod server_link;
pub mod settings;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;

use self::metrics::RuntimeMetrics;

/// `GET /metrics` in the Prometheus text format, for the launcher's own listener.
pub fn metrics_router(metrics: Arc<RuntimeMetrics>) -> Router {
    Router::new().route(
        "/metrics",
        get(move || {
            let metrics = metrics.clone();
            async move {
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "application/openmetrics-text; version=1.0.0; charset=utf-8",
                    )],
                    metrics.render(),
                )
            }
        }),
    )
}
