//! `GET /healthz` and `GET /metrics`.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::spawn_app;

#[tokio::test]
async fn healthz_is_ok_while_ticking_and_503_when_the_database_is_gone() {
    // With the database reachable and the world ticking it is 200; with the pool closed, 503.
    let app = spawn_app().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "ok");
    assert_eq!(body["world"], "ok");
    app.store.close().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
    assert_ne!(body["database"], "ok");
    app.shutdown.cancel();
    let _ = app.join.await;
}

#[tokio::test]
async fn metrics_count_ticks_agents_streams_and_requests_by_route() {
    // After some traffic the Prometheus text shows the tick histogram, the agent gauge, stream
    // counters and requests labelled by route pattern and status.
    let app = spawn_app().await;
    let id = app.create_agent("Counted", None).await;
    app.get(&format!("/agents/{id}")).await;
    app.get("/agents/999").await;
    let mut stream = app.stream().await;
    stream.skip_intro().await;
    stream.next().await;
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("openmetrics")
    );
    let text = response.text().await.unwrap();
    for needle in [
        "village_world_tick_duration_seconds_bucket",
        "village_world_agents 1",
        "village_ws_clients 1",
        "village_ws_frames_sent_total",
        "village_ws_sent_bytes_total",
        "route=\"/agents/{id}\",status=\"200\"",
        "route=\"/agents/{id}\",status=\"404\"",
        "route=\"/admin/agents\",status=\"201\"",
        "village_auth_logins_total{outcome=\"ok\"} 1",
    ] {
        assert!(text.contains(needle), "missing {needle} in:\n{text}");
    }
    app.stop().await;
}
