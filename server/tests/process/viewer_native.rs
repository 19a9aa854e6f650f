//! The desktop viewer against a real server, drawn by Mesa under Xvfb.

use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};

use crate::server_process::{ServerProcess, admin_create};
use crate::viewer_tools::{Picture, Xvfb, on_path, present, run_bounded, viewer_binary};

/// The longest the viewer may take to connect, settle, screenshot and exit.
const VIEWER_LIMIT: Duration = Duration::from_secs(120);

#[tokio::test]
async fn the_desktop_viewer_draws_agents_where_the_world_says() {
    // The viewer's screenshot shows the map (not blank), and at each tile where the server
    // has an agent there is a pixel of that agent's sprite.
    let (Some(viewer), true) = (viewer_binary(), present("Xvfb", on_path("Xvfb"))) else {
        present("the desktop viewer (cargo build -p village-client)", false);
        return;
    };
    let data = tempfile::tempdir().unwrap();
    assert!(
        admin_create(
            data.path(),
            crate::server_process::ADMIN_USER,
            crate::server_process::ADMIN_PASSWORD
        )
        .0
    );
    let server = ServerProcess::start_with(data.path(), &["--demo-agents", "0"]);
    let token = server.admin_token().await;
    let http = reqwest::Client::new();
    // Agents nobody drives stand still, so the picture and the server agree.
    for (name, home) in [
        ("Ada Quill", "home-birch"),
        ("Bo Reed", "home-rowan"),
        ("Cy Moss", "home-willow"),
    ] {
        let response = http
            .post(server.url("/admin/agents"))
            .bearer_auth(&token)
            .json(&json!({ "display_name": name, "home": home }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    }

    let x = Xvfb::start();
    let shot = data.path().join("shot.png");
    let mut command = Command::new(viewer);
    command
        .args(["--server", &server.url(""), "--screenshot"])
        .arg(&shot)
        .env("DISPLAY", &x.display)
        .env("RUST_LOG", "warn");
    let (ok, stderr) = run_bounded(command, VIEWER_LIMIT);
    assert!(ok, "the viewer failed: {stderr}");

    let picture = Picture::read(&shot);
    let (colours, top_share) = picture.colour_spread();
    assert!(
        colours > 50 && top_share < 0.6,
        "a blank picture: {colours} colours, top {top_share:.2}"
    );

    let sidecar: Value =
        serde_json::from_slice(&std::fs::read(shot.with_extension("png.json")).unwrap()).unwrap();
    let world = server.get_json("/world").await;
    let (cx, cy) = (
        sidecar["camera"]["x"].as_f64().unwrap(),
        sidecar["camera"]["y"].as_f64().unwrap(),
    );
    let scale = sidecar["camera"]["scale"].as_f64().unwrap();
    let (w, h) = (
        sidecar["window"][0].as_f64().unwrap(),
        sidecar["window"][1].as_f64().unwrap(),
    );
    let map_h = world["map"]["height"].as_f64().unwrap();
    let tile = world["map"]["tile_width_px"].as_f64().unwrap();
    let agents = world["agents"].as_array().unwrap();
    assert_eq!(agents.len(), 3);
    let mut seen = 0;
    for agent in agents {
        let id = agent["id"].as_u64().unwrap();
        let (tx, ty) = (
            agent["pos"]["x"].as_f64().unwrap(),
            agent["pos"]["y"].as_f64().unwrap(),
        );
        // Tile centre in world units (y up), then on screen (y down, centred on the camera).
        let (wx, wy) = (tx * tile, (map_h - 1.0 - ty) * tile);
        let (sx, sy) = ((wx - cx) / scale + w / 2.0, (cy - wy) / scale + h / 2.0);
        if !(0.0..w).contains(&sx) || !(0.0..h).contains(&sy) {
            continue;
        }
        let drawn = sidecar["agents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == id)
            .unwrap();
        let tint: Vec<u8> = serde_json::from_value(drawn["tint"].clone()).unwrap();
        assert!(
            picture.has_near(sx as f32, sy as f32, 2, [tint[0], tint[1], tint[2]], 24),
            "agent {id} at tile ({tx}, {ty}) should be drawn near ({sx:.0}, {sy:.0}) in {tint:?}"
        );
        seen += 1;
    }
    assert!(seen >= 2, "only {seen} agents were on screen");
}
