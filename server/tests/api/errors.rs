//! Malformed requests: every one a 4xx with the JSON error body, none changing anything.

use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use serde_json::json;

use crate::helpers::{assert_error, spawn_app};

#[tokio::test]
async fn malformed_unknown_oversized_and_untyped_bodies_are_clear_errors() {
    // Broken JSON is 400, unknown fields 422, bodies over the limit 413, a missing JSON content
    // type 415, and the agent is untouched by all of them.
    let app = spawn_app().await;
    let id = app.create_agent("Target", Some("home-ash")).await;
    let before = app.agent(id).await;
    let path = format!("/agents/{id}/move");
    let raw = |body: String| {
        app.client
            .post(app.url(&path))
            .bearer_auth(&app.admin_token)
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .send()
    };
    assert_error(
        raw("{\"dx\": 1,".into()).await.unwrap(),
        StatusCode::BAD_REQUEST,
        "malformed_json",
    )
    .await;
    assert_error(
        raw("[]".into()).await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_body",
    )
    .await;
    let unknown = app
        .post(&path, &json!({ "dx": 1, "dy": 0, "teleport": true }))
        .await;
    let message = assert_error(unknown, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body").await;
    assert!(message.contains("teleport"), "{message}");
    let huge = format!("{{\"landmark\": \"{}\"}}", "x".repeat(100_000));
    assert_error(
        raw(huge).await.unwrap(),
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
    )
    .await;
    let untyped = app
        .client
        .post(app.url(&path))
        .bearer_auth(&app.admin_token)
        .body("{\"dx\":1,\"dy\":0}")
        .send()
        .await
        .unwrap();
    assert_error(
        untyped,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    let action = app
        .post(
            &format!("/agents/{id}/action"),
            &json!({ "action": "idle", "mood": "sad" }),
        )
        .await;
    assert_error(action, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body").await;
    let after = app.agent(id).await;
    assert_eq!(before, after);
    app.stop().await;
}

#[tokio::test]
async fn unknown_routes_and_methods_get_json_errors() {
    // A path that does not exist is 404 and a wrong method 405, both with the error body.
    let app = spawn_app().await;
    assert_error(app.get("/nope").await, StatusCode::NOT_FOUND, "no_route").await;
    let delete = app.client.delete(app.url("/world")).send().await.unwrap();
    assert_error(delete, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
    app.stop().await;
}

#[tokio::test]
async fn a_very_long_request_target_gets_the_json_414() {
    // A target past `http.uri_bytes_max` (8 KiB) is refused with the JSON error body, on a
    // read and on a write alike; one just under it is answered as usual.
    let app = spawn_app().await;
    let long = "a".repeat(9_000);
    let read = app.get_as(None, &format!("/board/posts?tag={long}")).await;
    assert_error(read, StatusCode::URI_TOO_LONG, "uri_too_long").await;
    let write = app
        .post(
            &format!("/board/posts?x={long}"),
            &json!({"title": "t", "body": "b"}),
        )
        .await;
    assert_error(write, StatusCode::URI_TOO_LONG, "uri_too_long").await;
    let fits = app.get_as(None, "/board/posts?limit=5").await;
    assert_eq!(fits.status(), StatusCode::OK);
    assert!(
        app.get_json("/board/posts").await["posts"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    app.stop().await;
}

#[tokio::test]
async fn an_oversized_raw_body_gets_the_json_413() {
    // The payment webhook reads its body raw (for the signature): over `http.body_bytes_max`
    // it answers the same JSON 413 as the routes that read JSON, not axum's plain text.
    let app = spawn_app().await;
    let huge = app
        .client
        .post(app.url("/payments/paypal/webhook"))
        .header(CONTENT_TYPE, "application/json")
        .body("x".repeat(100_000))
        .send()
        .await
        .unwrap();
    assert_error(huge, StatusCode::PAYLOAD_TOO_LARGE, "body_too_large").await;
    app.stop().await;
}
