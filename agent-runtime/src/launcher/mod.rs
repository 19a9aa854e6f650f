//! The launcher daemon (`village-runtime`): settings, the link to the server, the agent
//! image recipe, metrics and the loop that runs reconcile passes. The decisions live in the
//! layers below (`plan`, `reconcile`); this module only wires them to the world outside.

pub mod agent_image;
pub mod daemon;
pub mod disk_check;
pub mod egress_setup;
pub mod hints;
pub mod metrics;
pub mod reports;
pub mod server_link;
pub mod server_watch;
pub mod settings;

use axum::Router;
use axum::routing::get;

/// `GET /metrics` in the Prometheus text format, as `render` writes it, for a process's own
/// listener (the launcher's, a node's).
pub fn metrics_router<F>(render: F) -> Router
where
    F: Fn() -> String + Clone + Send + Sync + 'static,
{
    Router::new().route(
        "/metrics",
        get(move || {
            let render = render.clone();
            async move {
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "application/openmetrics-text; version=1.0.0; charset=utf-8",
                    )],
                    render(),
                )
            }
        }),
    )
}

/// Logs of the runtime's daemons to standard output, at `RUST_LOG` (default `info`).
pub fn init_logging() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
}

/// Waits for Ctrl-C or, on unix, SIGTERM (how systemd and the engine stop a service).
pub async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
