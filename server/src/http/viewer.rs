//! `GET /` and the web viewer's other files (`/viewer.js`, `/viewer_bg.wasm`, `/assets/...`)
//! from `server.viewer_dir`, as the router's fallback.
//!
//! Files are served from disk by `tower-http`'s `ServeDir`: a `.br` or `.gz` beside a file is
//! sent to a client that accepts it, anything else compressible is compressed on the fly.
//! `index.html` is never cached without asking again; the other files (not content-hashed) for
//! [`VIEWER_FILE_MAX_AGE_S`]. This module never answers for an API path: anything it does not
//! find, and anything under an API prefix, gets the API's JSON 404. It serves no API route and
//! appears in no OpenAPI document.

use std::path::Path;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use tower::ServiceExt;
use tower_http::compression::Compression;
use tower_http::services::ServeDir;

use super::error::ApiError;

/// How long a browser may keep a viewer file other than `index.html` without asking again.
/// Short, because the files keep their names from one build to the next.
pub const VIEWER_FILE_MAX_AGE_S: u32 = 300;

/// First path segments of the API and the streams: such paths are never looked up on disk.
/// A unit test checks that every documented route starts with one of them.
pub const API_PREFIXES: [&str; 15] = [
    "admin",
    "agents",
    "api-docs",
    "auth",
    "board",
    "chats",
    "economy",
    "healthz",
    "metrics",
    "moderation",
    "payments",
    "runtime",
    "v1",
    "world",
    "ws",
];

/// The policy of every viewer answer: scripts, styles, images and connections (HTTP and the
/// WebSocket streams) from this server only; WebAssembly may be compiled (the viewer is
/// WebAssembly); no frames around it, no plugins, no base or form changes.
pub const VIEWER_CONTENT_SECURITY_POLICY: &str = "default-src 'self'; \
    script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data: blob:; \
    connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; \
    form-action 'none'";

/// The command that builds the viewer, named by the page `/` shows while it is missing.
pub const BUILD_COMMAND: &str = "./scripts/build-web.sh";

/// The viewer's files, ready to answer the router's fallback.
#[derive(Clone)]
pub struct ViewerFiles {
    files: Compression<ServeDir>,
}

impl ViewerFiles {
    /// Serves the files under `dir` (which may not exist yet: it is looked at per request, so
    /// a viewer built while the server runs is served at once).
    pub fn new(dir: &Path) -> ViewerFiles {
        let files = ServeDir::new(dir)
            .precompressed_br()
            .precompressed_gzip()
            .append_index_html_on_directories(true);
        ViewerFiles {
            files: Compression::new(files),
        }
    }

    /// Answers a request no route matched: a viewer file, the "not built" page for `/`, or
    /// the API's JSON 404.
    pub async fn serve(self, request: Request) -> Response {
        let path = request.uri().path().to_string();
        let readable = matches!(*request.method(), Method::GET | Method::HEAD);
        if !readable || is_api_path(&path) {
            return no_route();
        }
        let response = match self.files.oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let status = response.status();
        if status == StatusCode::NOT_FOUND {
            return if path == "/" {
                with_security_headers(not_built())
            } else {
                no_route()
            };
        }
        let mut response = with_security_headers(response.map(Body::new));
        if !(status.is_success() || status == StatusCode::NOT_MODIFIED) {
            return response;
        }
        let cache = if path == "/" || path.ends_with(".html") {
            HeaderValue::from_static("no-cache")
        } else {
            HeaderValue::from_str(&format!("public, max-age={VIEWER_FILE_MAX_AGE_S}"))
                .unwrap_or(HeaderValue::from_static("no-cache"))
        };
        response.headers_mut().insert(header::CACHE_CONTROL, cache);
        response
    }
}

/// Adds the viewer's policy and the headers that keep its pages out of frames and its files
/// from being sniffed as another type.
fn with_security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(VIEWER_CONTENT_SECURITY_POLICY),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// Whether `path` lies under one of [`API_PREFIXES`].
pub fn is_api_path(path: &str) -> bool {
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    API_PREFIXES.contains(&first)
}

fn no_route() -> Response {
    ApiError::not_found("no_route", "no such route; see /api-docs/openapi.json").into_response()
}

/// The page `/` shows while the viewer is not built (503: try again once it is).
fn not_built() -> Response {
    let page = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>AI Village: viewer not built</title></head><body>\
         <h1>The web viewer is not built</h1>\
         <p>Build it with <code>{BUILD_COMMAND}</code>, then reload this page \
         (the server serves it from the folder named by <code>server.viewer_dir</code>).</p>\
         <p>The API is up: see <a href=\"/api-docs/openapi.json\">/api-docs/openapi.json</a>.</p>\
         </body></html>\n"
    );
    let mut response = (StatusCode::SERVICE_UNAVAILABLE, Html(page)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_route_lies_under_an_api_prefix() {
        // No API route can be shadowed by (or fall through to) a viewer file: each documented
        // path, and each stream, starts with one of the prefixes; viewer paths do not.
        let (_, doc) = crate::http::api_routes();
        let paths: Vec<&String> = doc.paths.paths.keys().collect();
        assert!(paths.len() > 10);
        for path in paths {
            assert!(is_api_path(path), "{path} is not under an API prefix");
        }
        for path in [
            "/ws/world",
            "/ws/board",
            "/api-docs/openapi.json",
            "/agents",
        ] {
            assert!(is_api_path(path), "{path}");
        }
        for path in [
            "/",
            "/index.html",
            "/viewer_bg.wasm",
            "/assets/maps/village.tmx",
        ] {
            assert!(!is_api_path(path), "{path}");
        }
    }
}
