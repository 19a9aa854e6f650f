//! The web viewer at `/`: its files with their types, compression and cache headers; the page
//! that says how to build it when it is missing; and the API's JSON 404 for everything else.

use std::io::Read;
use std::path::Path;

use reqwest::StatusCode;
use reqwest::header::{ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE};

use crate::helpers::{TestApp, assert_error, spawn_app_with};

const INDEX: &str = "<!doctype html><html><head><title>AI Village</title></head>\
                     <body><canvas id=\"village\"></canvas></body></html>\n";

/// A made-up module, long and repetitive enough to be worth compressing.
fn wasm_bytes() -> Vec<u8> {
    let mut bytes = b"\0asm\x01\0\0\0".to_vec();
    for i in 0..4_000u32 {
        bytes.extend_from_slice(&(i % 61).to_le_bytes());
    }
    bytes
}

/// Stands in for `viewer.js.br`: served exactly as it lies, never decoded by the server.
const JS_BR: &[u8] = b"precompressed brotli bytes of viewer.js";

fn write_viewer(dir: &Path) {
    std::fs::write(dir.join("index.html"), INDEX).unwrap();
    std::fs::write(dir.join("viewer_bg.wasm"), wasm_bytes()).unwrap();
    let js = "export function start() { console.log('the village'); }\n".repeat(20);
    std::fs::write(dir.join("viewer.js"), js).unwrap();
    std::fs::write(dir.join("viewer.js.br"), JS_BR).unwrap();
}

async fn get(app: &TestApp, path: &str, encoding: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(app.url(path));
    if let Some(encoding) = encoding {
        request = request.header(ACCEPT_ENCODING, encoding);
    }
    request.send().await.unwrap()
}

fn header(response: &reqwest::Response, name: impl reqwest::header::AsHeaderName) -> String {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

/// The viewer's answers carry its Content-Security-Policy (no framing, scripts and
/// connections from this server only) and refuse framing and sniffing.
fn assert_framing_refused(response: &reqwest::Response) {
    let policy = header(response, "content-security-policy");
    for directive in [
        "frame-ancestors 'none'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "connect-src 'self'",
        "object-src 'none'",
    ] {
        assert!(policy.contains(directive), "{directive} in {policy}");
    }
    assert_eq!(header(response, "x-frame-options"), "DENY");
    assert_eq!(header(response, "x-content-type-options"), "nosniff");
}

#[tokio::test]
async fn the_viewer_is_served_typed_compressed_and_cached_with_the_api_untouched() {
    // `/` gives index.html (not cached without asking); the WASM is application/wasm and
    // gzipped on the fly for a client that accepts it; a `.br` beside a file is sent as it is
    // to a client that accepts br; other files carry a short max-age; unknown paths, API-like
    // paths and writes still get the API's JSON 404, and the API still answers.
    let viewer = tempfile::tempdir().unwrap();
    write_viewer(viewer.path());
    let dir = viewer.path().to_path_buf();
    let app = spawn_app_with(|s| s.server.viewer_dir = dir).await;

    let index = get(&app, "/", None).await;
    assert_eq!(index.status(), StatusCode::OK);
    assert!(header(&index, CONTENT_TYPE).starts_with("text/html"));
    assert_eq!(header(&index, CACHE_CONTROL), "no-cache");
    assert_framing_refused(&index);
    assert_eq!(index.text().await.unwrap(), INDEX);

    let wasm = get(&app, "/viewer_bg.wasm", None).await;
    assert_eq!(wasm.status(), StatusCode::OK);
    assert_eq!(header(&wasm, CONTENT_TYPE), "application/wasm");
    assert_eq!(header(&wasm, CONTENT_ENCODING), "");
    assert!(header(&wasm, CACHE_CONTROL).contains("max-age=300"));
    assert_framing_refused(&wasm);
    assert_eq!(wasm.bytes().await.unwrap().to_vec(), wasm_bytes());

    let gzipped = get(&app, "/viewer_bg.wasm", Some("gzip")).await;
    assert_eq!(gzipped.status(), StatusCode::OK);
    assert_eq!(header(&gzipped, CONTENT_TYPE), "application/wasm");
    assert_eq!(header(&gzipped, CONTENT_ENCODING), "gzip");
    let body = gzipped.bytes().await.unwrap();
    assert!(body.len() < wasm_bytes().len(), "gzip made it smaller");
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&body[..])
        .read_to_end(&mut unzipped)
        .unwrap();
    assert_eq!(unzipped, wasm_bytes());

    let brotli = get(&app, "/viewer.js", Some("br")).await;
    assert_eq!(brotli.status(), StatusCode::OK);
    assert_eq!(header(&brotli, CONTENT_ENCODING), "br");
    assert!(header(&brotli, CONTENT_TYPE).contains("javascript"));
    assert_eq!(brotli.bytes().await.unwrap().to_vec(), JS_BR);

    for path in [
        "/nope",
        "/nope.js",
        "/agents/1/nope",
        "/api-docs/nope",
        "/ws/nope",
    ] {
        assert_error(
            get(&app, path, None).await,
            StatusCode::NOT_FOUND,
            "no_route",
        )
        .await;
    }
    let write = app.client.post(app.url("/")).send().await.unwrap();
    assert_error(write, StatusCode::NOT_FOUND, "no_route").await;
    let world = app.get_json("/world").await;
    assert_eq!(world["map"]["width"], 48);
    app.stop().await;
}

#[tokio::test]
async fn without_a_built_viewer_the_root_says_how_to_build_it() {
    // With no viewer folder, `/` answers 503 with a page naming the build script, and other
    // paths keep the JSON 404.
    let missing = tempfile::tempdir().unwrap().path().join("not-built");
    let app = spawn_app_with(|s| s.server.viewer_dir = missing).await;
    let page = get(&app, "/", None).await;
    assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(header(&page, CONTENT_TYPE).starts_with("text/html"));
    assert_framing_refused(&page);
    let text = page.text().await.unwrap();
    assert!(text.contains("./scripts/build-web.sh"), "{text}");
    assert!(text.contains("not built"), "{text}");
    assert_error(
        get(&app, "/viewer.js", None).await,
        StatusCode::NOT_FOUND,
        "no_route",
    )
    .await;
    app.stop().await;
}
