//! `GET /agents/{id}/perception`.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_error, spawn_app};

#[tokio::test]
async fn perception_shows_self_neighbours_landmarks_and_filters_speech_by_tick() {
    // One call gives the agent itself, agents and landmarks within the radius, and what it
    // heard after `since_tick`.
    let app = spawn_app().await;
    let me = app.create_agent("Listener", None).await;
    let near = app.create_agent("Talker", None).await;
    let far = app.create_agent("Hermit", Some("home-rowan")).await;
    let talk = app
        .post(
            &format!("/agents/{near}/action"),
            &json!({ "action": "talk", "text": "psst" }),
        )
        .await;
    assert_eq!(talk.status(), StatusCode::OK);
    let view = app.get_json(&format!("/agents/{me}/perception")).await;
    assert_eq!(view["me"]["id"], me.0);
    assert_eq!(view["radius"], 8);
    assert_eq!(view["at_landmark"], "board");
    let agents = view["agents"].as_array().unwrap();
    assert!(agents.iter().any(|a| a["agent"]["id"] == near.0));
    assert!(agents.iter().all(|a| a["agent"]["id"] != far.0));
    let landmarks = view["landmarks"].as_array().unwrap();
    assert_eq!(landmarks[0]["landmark"]["key"], "board");
    assert_eq!(landmarks[0]["distance"], 0);
    let heard = view["heard"].as_array().unwrap();
    assert_eq!(heard.len(), 1);
    let tick = heard[0]["tick"].as_u64().unwrap();
    let later = app
        .get_json(&format!("/agents/{me}/perception?since_tick={tick}"))
        .await;
    assert_eq!(later["heard"].as_array().unwrap().len(), 0);
    let wide = app
        .get_json(&format!("/agents/{me}/perception?radius=32"))
        .await;
    assert!(
        wide["agents"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["agent"]["id"] == far.0)
    );
    let too_wide = app.get(&format!("/agents/{me}/perception?radius=33")).await;
    assert_error(too_wide, StatusCode::UNPROCESSABLE_ENTITY, "invalid_input").await;
    let bad = app.get(&format!("/agents/{me}/perception?radius=-1")).await;
    assert_error(bad, StatusCode::BAD_REQUEST, "invalid_query").await;
    let unknown = app.get(&format!("/agents/{me}/perception?radios=3")).await;
    assert_error(unknown, StatusCode::BAD_REQUEST, "invalid_query").await;
    app.stop().await;
}
