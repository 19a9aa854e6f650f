//! How a request of the agent's client failed: [`ClientError`] names the method and path
//! (never the token) and carries the [`ErrorKind`]; a non-2xx answer keeps the server's
//! `{"error":{"code","message"}}` and its `Retry-After`. Types and reading only: the client
//! (`client.rs`) makes the requests.

use std::time::Duration;

use hyper::header::{self, HeaderMap};
use hyper::{Method, StatusCode};
use shared::api::ErrorBody;

use super::client::RESPONSE_BYTES_MAX;

/// Characters of a non-JSON error answer kept in the error message.
const ERROR_TEXT_CHARS_MAX: usize = 200;
/// Longest `Retry-After` honoured; a longer one is capped (the loop's backoff caps it too).
const RETRY_AFTER_MAX: Duration = Duration::from_secs(600);

/// A request that failed, naming the method and path (never the token).
#[derive(Debug, thiserror::Error)]
#[error("{method} {path}: {kind}")]
pub struct ClientError {
    pub method: Method,
    pub path: String,
    pub kind: ErrorKind,
}

/// How a request failed.
#[derive(Debug, thiserror::Error)]
pub enum ErrorKind {
    #[error("cannot connect to {address}: {source}")]
    Connect {
        address: String,
        source: std::io::Error,
    },
    #[error("no answer within {} ms", .0.as_millis())]
    Timeout(Duration),
    #[error("HTTP exchange failed: {0}")]
    Http(#[from] hyper::Error),
    #[error("could not build the request: {0}")]
    Request(#[from] hyper::http::Error),
    #[error("answer larger than {RESPONSE_BYTES_MAX} bytes")]
    TooLarge,
    #[error("reading the answer failed: {0}")]
    Body(String),
    #[error("answer is not the expected JSON: {0}")]
    Decode(#[from] serde_json::Error),
    #[error("{status} {code}: {message}")]
    Status {
        status: u16,
        code: String,
        message: String,
        /// From the answer's `Retry-After` (429, 503), capped at [`RETRY_AFTER_MAX`].
        retry_after: Option<Duration>,
    },
}

impl ClientError {
    /// The HTTP status of a refused request.
    pub fn status(&self) -> Option<u16> {
        match &self.kind {
            ErrorKind::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// A short stable name for memory and logs: the server's error code, or the failure kind.
    pub fn code(&self) -> &str {
        match &self.kind {
            ErrorKind::Status { code, .. } => code,
            ErrorKind::Connect { .. } => "connect",
            ErrorKind::Timeout(_) => "timeout",
            ErrorKind::Http(_) => "http",
            ErrorKind::Request(_) => "request",
            ErrorKind::TooLarge => "too_large",
            ErrorKind::Body(_) => "body",
            ErrorKind::Decode(_) => "decode",
        }
    }

    /// The server said the token no longer works (401) or may not act for this agent (403).
    pub fn is_denied(&self) -> bool {
        matches!(self.status(), Some(401 | 403))
    }

    /// How long the server asked the client to wait before trying again.
    pub fn retry_after(&self) -> Option<Duration> {
        match &self.kind {
            ErrorKind::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// The error of a non-2xx answer: the server's code and message, or the status and some text.
pub(super) fn status_error(status: StatusCode, headers: &HeaderMap, bytes: &[u8]) -> ErrorKind {
    let retry_after = headers
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(|s| Duration::from_secs(s).min(RETRY_AFTER_MAX));
    let (code, message) = match serde_json::from_slice::<ErrorBody>(bytes) {
        Ok(envelope) => (envelope.error.code, envelope.error.message),
        Err(_) => (
            format!("http_{}", status.as_u16()),
            String::from_utf8_lossy(bytes)
                .chars()
                .take(ERROR_TEXT_CHARS_MAX)
                .collect(),
        ),
    };
    ErrorKind::Status {
        status: status.as_u16(),
        code,
        message,
        retry_after,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use hyper::header::HeaderValue;

    use super::*;

    #[test]
    fn error_answers_keep_the_servers_code_message_and_retry_after() {
        // A JSON error body gives its code and message; a plain one a synthetic code.
        let mut headers = HeaderMap::new();
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static("3"));
        let body = br#"{"error":{"code":"tier_rate_limited","message":"slow down"}}"#;
        let error = ClientError {
            method: Method::GET,
            path: "/x".into(),
            kind: status_error(StatusCode::TOO_MANY_REQUESTS, &headers, body),
        };
        assert_eq!(error.code(), "tier_rate_limited");
        assert_eq!(error.retry_after(), Some(Duration::from_secs(3)));
        assert!(!error.is_denied());
        assert!(error.to_string().contains("slow down"));
        let plain = status_error(StatusCode::FORBIDDEN, &HeaderMap::new(), b"nope");
        let error = ClientError {
            method: Method::GET,
            path: "/x".into(),
            kind: plain,
        };
        assert_eq!(error.code(), "http_403");
        assert!(error.is_denied());
    }
}
