//! The web viewer in headless Chromium (SwiftShader's WebGL2) against a real server that
//! serves it at `/`.

use std::path::Path;
use std::time::Duration;

use fantoccini::ClientBuilder;
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

use crate::server_process::ServerProcess;
use crate::viewer_tools::{Picture, on_path, present, start_chromedriver, workspace};

/// The longest the page may take to download, compile the module, connect and draw.
const PAGE_LIVE_WAIT: Duration = Duration::from_secs(120);
/// Frames drawn after going live before the screenshot (the tilemap's textures are ready).
const SETTLE_FRAMES: u64 = 20;

#[tokio::test]
async fn the_browser_viewer_renders_the_map_from_a_real_server() {
    // Loading `/` runs the WASM viewer: it reaches the live stream, and the screenshot of the
    // canvas is mostly the tileset's own colours (the map was drawn, not a blank page).
    let dist = workspace().join("client/dist");
    let found = present("chromium", on_path("chromium"))
        && present("chromedriver", on_path("chromedriver"))
        && present(
            "the web viewer in client/dist (./scripts/build-web.sh)",
            dist.join("index.html").is_file(),
        );
    if !found {
        return;
    }
    let data = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_with(
        data.path(),
        &["--demo-agents", "6", "--viewer-dir", dist.to_str().unwrap()],
    );
    let (driver_url, _driver) = start_chromedriver();
    let mut caps = serde_json::Map::new();
    // The in-page wait below runs as one script: let it outlast the page's own limit.
    caps.insert(
        "timeouts".into(),
        json!({ "script": PAGE_LIVE_WAIT.as_millis() as u64 + 30_000 }),
    );
    caps.insert(
        "goog:chromeOptions".into(),
        json!({ "args": ["--headless=new", "--no-sandbox", "--use-angle=swiftshader",
            "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist", "--window-size=1280,720",
            "--disable-dev-shm-usage"] }),
    );
    let browser = ClientBuilder::new(HttpConnector::new())
        .capabilities(caps)
        .connect(&driver_url)
        .await
        .expect("chromedriver opens a session");
    browser.goto(&server.url("/")).await.unwrap();

    // Waits in the page for the viewer's own state attributes to say "live, settled": a
    // MutationObserver answers on the change itself; the page's timer only bounds the wait.
    let last = browser
        .execute_async(
            "const [settle, limitMs, done] = arguments; \
             const root = document.documentElement; \
             const read = () => { const d = root.dataset; return { state: d.villageState || null, \
                 frames: Number(d.villageFrames || 0), agents: Number(d.villageAgents || 0), \
                 loading: (document.getElementById('loading') || {}).textContent || null }; }; \
             const ready = (s) => s.state === 'live' && s.frames >= settle; \
             if (ready(read())) { done(read()); return; } \
             let timer; \
             const watch = new MutationObserver(() => { const s = read(); \
                 if (ready(s)) { watch.disconnect(); clearTimeout(timer); done(s); } }); \
             watch.observe(root, { attributes: true }); \
             timer = setTimeout(() => { watch.disconnect(); \
                 done(Object.assign(read(), { timed_out: true })); }, limitMs);",
            vec![
                json!(SETTLE_FRAMES),
                json!(PAGE_LIVE_WAIT.as_millis() as u64),
            ],
        )
        .await
        .expect("the page answers the wait");
    assert!(
        last["state"] == "live" && last.get("timed_out").is_none(),
        "the page never went live: {last}"
    );
    assert_eq!(last["agents"], 6, "{last}");
    let png = browser.screenshot().await.unwrap();
    let _ = browser.close().await;

    let out = workspace().join("test-output");
    std::fs::create_dir_all(&out).unwrap();
    let shot = out.join("viewer-browser.png");
    std::fs::write(&shot, &png).unwrap();
    let picture = Picture::read(&shot);
    let palette = palette(&workspace().join("assets/tilesets/village.png"));
    let total = u64::from(picture.width) * u64::from(picture.height);
    let mut on_palette = 0u64;
    for y in 0..picture.height {
        for x in 0..picture.width {
            if palette.contains(&bucket(picture.pixel(x, y))) {
                on_palette += 1;
            }
        }
    }
    let share = on_palette as f64 / total as f64;
    let (colours, top_share) = picture.colour_spread();
    assert!(
        colours > 50 && top_share < 0.6,
        "a blank page: {colours} colours, top {top_share:.2}"
    );
    assert!(
        share > 0.5,
        "only {:.0} % of the page is map colours ({})",
        share * 100.0,
        shot.display()
    );
}

/// Colours quantised to 5 bits a channel: rendering may round a little.
fn bucket(rgb: [u8; 3]) -> [u8; 3] {
    rgb.map(|c| c >> 3)
}

/// The quantised colours of the tileset's opaque pixels, and their neighbours one step away.
fn palette(tileset: &Path) -> std::collections::HashSet<[u8; 3]> {
    let picture = Picture::read(tileset);
    let mut set = std::collections::HashSet::new();
    for y in 0..picture.height {
        for x in 0..picture.width {
            let i = (y as usize * picture.width as usize + x as usize) * picture.channels;
            if picture.channels == 4 && picture.data[i + 3] < 128 {
                continue;
            }
            let b = bucket(picture.pixel(x, y));
            for d in [
                [0i16, 0, 0],
                [1, 0, 0],
                [-1, 0, 0],
                [0, 1, 0],
                [0, -1, 0],
                [0, 0, 1],
                [0, 0, -1],
            ] {
                let n = [0, 1, 2].map(|k| (i16::from(b[k]) + d[k]).clamp(0, 31) as u8);
                set.insert(n);
            }
        }
    }
    set
}
