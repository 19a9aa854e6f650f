//! Actions: talk, use_board, work, idle.

use reqwest::StatusCode;
use reqwest::header::RETRY_AFTER;
use serde_json::{Value, json};
use shared::ServerMsg;

use crate::helpers::{assert_error, spawn_app};

#[tokio::test]
async fn talk_is_heard_nearby_shown_on_the_stream_and_rate_limited() {
    // A line reaches agents within the radius (not beyond), goes out as speech, and a second
    // line too soon is 429 with Retry-After.
    let app = spawn_app().await;
    let speaker = app.create_agent("Speaker", None).await;
    let neighbour = app.create_agent("Neighbour", None).await;
    let far = app.create_agent("Faraway", Some("home-rowan")).await;
    let mut stream = app.stream().await;
    stream.skip_intro().await;
    let path = format!("/agents/{speaker}/action");
    let response = app
        .post(
            &path,
            &json!({ "action": "talk", "text": "  Hello, village!  " }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let outcome: Value = response.json().await.unwrap();
    assert_eq!(outcome["heard_by"], 1);
    loop {
        let ServerMsg::Delta(delta) = stream.next().await else {
            panic!("deltas only")
        };
        if let Some(line) = delta.speech.first() {
            assert_eq!(line.id, speaker);
            assert_eq!(line.text, "Hello, village!");
            break;
        }
    }
    let heard = app
        .get_json(&format!("/agents/{neighbour}/perception"))
        .await;
    assert_eq!(heard["heard"][0]["text"], "Hello, village!");
    assert_eq!(heard["heard"][0]["from_name"], "Speaker");
    let not_heard = app.get_json(&format!("/agents/{far}/perception")).await;
    assert_eq!(not_heard["heard"].as_array().unwrap().len(), 0);
    let again = app
        .post(&path, &json!({ "action": "talk", "text": "me again" }))
        .await;
    assert!(again.headers().get(RETRY_AFTER).is_some());
    assert_error(again, StatusCode::TOO_MANY_REQUESTS, "talk_rate_limited").await;
    app.stop().await;
}

#[tokio::test]
async fn bad_talk_is_refused() {
    // Empty, overlong or control-character speech and a talk without text are 422.
    let app = spawn_app().await;
    let id = app.create_agent("Mumbler", None).await;
    let path = format!("/agents/{id}/action");
    for text in ["   ", &"a".repeat(281), "line\u{0}break"] {
        let response = app
            .post(&path, &json!({ "action": "talk", "text": text }))
            .await;
        assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
    }
    let missing = app.post(&path, &json!({ "action": "talk" })).await;
    assert_error(missing, StatusCode::UNPROCESSABLE_ENTITY, "invalid_action").await;
    let extra = app
        .post(
            &path,
            &json!({ "action": "talk", "text": "hi", "detail": "x" }),
        )
        .await;
    assert_error(extra, StatusCode::UNPROCESSABLE_ENTITY, "invalid_action").await;
    app.stop().await;
}

#[tokio::test]
async fn use_board_only_on_the_board_and_work_only_at_a_landmark() {
    // use_board away from the board is 409 naming it; on it, the activity says so. Work and
    // idle set the activity; unknown actions are 422 naming the known ones.
    let app = spawn_app().await;
    let at_board = app.create_agent("Scribe", None).await;
    let at_home = app.create_agent("Homebody", Some("home-ash")).await;
    let response = app
        .post(
            &format!("/agents/{at_board}/action"),
            &json!({ "action": "use_board" }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let outcome: Value = response.json().await.unwrap();
    assert_eq!(outcome["activity"]["kind"], "using_board");
    assert_eq!(outcome["activity"]["landmark"], "board");
    let away = app
        .post(
            &format!("/agents/{at_home}/action"),
            &json!({ "action": "use_board" }),
        )
        .await;
    let message = assert_error(away, StatusCode::CONFLICT, "wrong_place").await;
    assert!(message.contains("board"), "{message}");
    let work = app
        .post(
            &format!("/agents/{at_home}/action"),
            &json!({ "action": "work", "detail": "darning socks" }),
        )
        .await;
    assert_eq!(work.status(), StatusCode::OK);
    let agent = app.agent(at_home).await;
    assert_eq!(agent["activity"]["kind"], "working");
    assert_eq!(agent["activity"]["landmark"], "home-ash");
    assert_eq!(agent["activity"]["detail"], "darning socks");
    assert_eq!(agent["status"], "online");
    // Walk off the landmark: work is refused there.
    let mut stream = app.stream().await;
    let step = app
        .post(
            &format!("/agents/{at_home}/move"),
            &json!({ "x": 43, "y": 9 }),
        )
        .await;
    assert_eq!(step.status(), StatusCode::ACCEPTED);
    stream
        .wait_for_move(at_home, shared::TilePos::new(43, 9))
        .await;
    let outside = app
        .post(
            &format!("/agents/{at_home}/action"),
            &json!({ "action": "work" }),
        )
        .await;
    assert_error(outside, StatusCode::CONFLICT, "wrong_place").await;
    let idle = app
        .post(
            &format!("/agents/{at_home}/action"),
            &json!({ "action": "idle" }),
        )
        .await;
    assert_eq!(idle.status(), StatusCode::OK);
    assert_eq!(app.agent(at_home).await["activity"]["kind"], "idle");
    let dance = app
        .post(
            &format!("/agents/{at_home}/action"),
            &json!({ "action": "dance" }),
        )
        .await;
    let message = assert_error(dance, StatusCode::UNPROCESSABLE_ENTITY, "unknown_action").await;
    for known in ["talk", "use_board", "work", "idle"] {
        assert!(message.contains(known), "{message}");
    }
    app.stop().await;
}
