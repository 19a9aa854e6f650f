//! Request ids: every request gets a random `x-request-id` (or keeps the caller's, if it is a
//! short plain token), which is echoed on the response and written into every audit entry the
//! request causes.

use axum::http::{HeaderMap, HeaderValue};
use rand::Rng;
use tower_http::request_id::{MakeRequestId, RequestId};

/// Makes 128-bit random hex ids.
#[derive(Clone, Copy, Default)]
pub struct RandomRequestId;

impl MakeRequestId for RandomRequestId {
    fn make_request_id<B>(&mut self, _request: &axum::http::Request<B>) -> Option<RequestId> {
        let id: u128 = rand::rng().random();
        HeaderValue::from_str(&format!("{id:032x}"))
            .ok()
            .map(RequestId::new)
    }
}

/// The longest caller-given request id kept; longer or odd ones are replaced.
pub const REQUEST_ID_BYTES_MAX: usize = 64;

/// Drops a caller's `x-request-id` that is empty, too long or holds anything but letters,
/// digits, `-` and `_`, so that a fresh one is made: ids go into the audit log verbatim. Called
/// by the outermost middleware (`request_metrics::count_requests`).
pub fn drop_unfit_request_id(headers: &mut HeaderMap) {
    if headers
        .get(X_REQUEST_ID)
        .is_some_and(|value| !is_fit(value.as_bytes()))
    {
        headers.remove(X_REQUEST_ID);
    }
}

const X_REQUEST_ID: &str = "x-request-id";

fn is_fit(id: &[u8]) -> bool {
    (1..=REQUEST_ID_BYTES_MAX).contains(&id.len())
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')
}
