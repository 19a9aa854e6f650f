//! The outermost middleware: counts every HTTP request by method, matched route and status,
//! and first drops a caller-given request id unfit for the audit log (one middleware for both,
//! since each `from_fn` layer costs every request an allocation).

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

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
    let response = next.run(request).await;
    let labels = HttpLabels {
        method,
        route,
        status: response.status().as_u16(),
    };
    state.metrics.http_requests.get_or_create(&labels).inc();
    response
}
