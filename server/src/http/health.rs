//! `GET /healthz` (database reachable and world ticking, else 503) and `GET /metrics`.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;

use crate::clock::now_ms;
use crate::state::AppState;

/// The world counts as stalled when its last tick is older than this many tick intervals.
const STALLED_AFTER_TICKS: u64 = 20;
/// How long the database may take to answer a health check.
const DATABASE_CHECK_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` or `unavailable`.
    pub status: &'static str,
    /// `ok`, or what is wrong with the database.
    pub database: String,
    /// `ok`, or why the world counts as stalled.
    pub world: String,
    pub tick: u64,
    /// Milliseconds since the last tick ended; null before the first tick.
    pub last_tick_age_ms: Option<i64>,
}

/// Whether the server can serve: 200 when the database answers and the world ticks, else 503.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses(
        (status = 200, description = "Healthy", body = Health),
        (status = 503, description = "Database unreachable or world stalled", body = Health)))]
pub async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let database = match tokio::time::timeout(DATABASE_CHECK_TIMEOUT, state.store.ping()).await {
        Ok(Ok(())) => "ok".to_string(),
        Ok(Err(error)) => format!("error: {error}"),
        Err(_) => "timed out".to_string(),
    };
    let health = state.world.health();
    let age = now_ms() - health.last_tick_at_ms();
    let limit = (state.settings.limits.tick_interval_ms * STALLED_AFTER_TICKS) as i64;
    let world = if health.last_tick_at_ms() == 0 {
        "not started".to_string()
    } else if age > limit {
        format!("stalled: no tick for {age} ms")
    } else {
        "ok".to_string()
    };
    let healthy = database == "ok" && world == "ok";
    let status = if healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = Health {
        status: if healthy { "ok" } else { "unavailable" },
        database,
        world,
        tick: health.last_tick().0,
        last_tick_age_ms: (health.last_tick_at_ms() != 0).then_some(age),
    };
    (status, Json(body))
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Metrics", content_type = "application/openmetrics-text", body = String)))]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    )
}
