//! Answers 408 with the JSON error body when a request takes longer than
//! `http.request_timeout_ms`, or, for the LLM gateway (`/v1/...`), `llm.upstream_timeout_ms`.
//! (A WebSocket upgrade or a streamed answer returns its head at once, so streams are not cut.)

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

/// The time limits of requests.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub default: Duration,
    /// LLM calls wait for a model to answer.
    pub llm: Duration,
}

pub async fn limit_duration(
    State(timeouts): State<Timeouts>,
    request: Request,
    next: Next,
) -> Response {
    let limit = if request.uri().path().starts_with("/v1/") {
        timeouts.llm
    } else {
        timeouts.default
    };
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            format!("the request took longer than {} ms", limit.as_millis()),
        )
        .into_response(),
    }
}
