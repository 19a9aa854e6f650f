//! The outermost middleware: counts every HTTP request by method, matched route and status,
//! and first drops a caller-given request id unfit for the audit log and refuses a request
//! target longer than `http.uri_bytes_max` with the JSON 414 (one middleware for all three,
//! since each `from_fn` layer costs every request an allocation).

use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

use crate::metrics::HttpLabels;
use crate::state::AppState;

pub async fn count_requests(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    super::request_id::drop_unfit_request_id(request.headers_mut());
    let method = request.method().to_string();
    // Label by route pattern, never the raw path, so ids do not explode the label set.
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let uri_bytes = request
        .uri()
        .path_and_query()
        .map_or(0, |target| target.as_str().len());
    let response = if uri_bytes > state.settings.http.uri_bytes_max {
        ApiError::new(
            StatusCode::URI_TOO_LONG,
            "uri_too_long",
            format!(
                "the request target is {uri_bytes} bytes; at most {} are read",
                state.settings.http.uri_bytes_max
            ),
        )
        .into_response()
    } else {
        next.run(request).await
    };
    let labels = HttpLabels {
        method,
        route,
        status: response.status().as_u16(),
    };
    state.metrics.http_requests.get_or_create(&labels).inc();
    response
}
