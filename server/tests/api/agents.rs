//! Creating and reading agents.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{assert_error, spawn_app};

#[tokio::test]
async fn a_created_agent_is_stored_before_the_answer_and_appears_in_the_world() {
    // POST /admin/agents answers 201 only after the row exists, and the world shows the agent
    // at home; the token is in the answer and only its hash is stored.
    let app = spawn_app().await;
    let response = app
        .post(
            "/admin/agents",
            &json!({ "display_name": "Ada Quill", "persona": "a tinkerer", "home": "home-ash" }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    let id = created["agent_id"].as_u64().unwrap();
    assert_eq!(created["agent"]["id"], id);
    let token = created["token"].as_str().unwrap();
    assert!(token.starts_with("avt_"));
    let account = app.store.find_agent_account(id).await.unwrap().unwrap();
    assert_ne!(account.token_hash.as_deref(), Some(token));
    assert_eq!(account.token_hash.as_deref().map(str::len), Some(64));
    let stored = app.store.list_agents().await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].0.view.display_name, "Ada Quill");
    assert_eq!(stored[0].0.view.id.0, id);
    let agent = app.get_json(&format!("/agents/{id}")).await;
    assert_eq!(agent["persona"], "a tinkerer");
    assert_eq!(
        agent["account_id"], account.id.0,
        "the board's author filter needs it"
    );
    assert_eq!(agent["home"], "home-ash");
    let world = app.get_json("/world").await;
    let ash = world["landmarks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["key"] == "home-ash")
        .unwrap();
    let (x, y) = (
        agent["pos"]["x"].as_u64().unwrap(),
        agent["pos"]["y"].as_u64().unwrap(),
    );
    let area = &ash["area"];
    assert!(
        x >= area["x"].as_u64().unwrap()
            && x < area["x"].as_u64().unwrap() + area["w"].as_u64().unwrap()
    );
    assert!(
        y >= area["y"].as_u64().unwrap()
            && y < area["y"].as_u64().unwrap() + area["h"].as_u64().unwrap()
    );
    let all = app.get_json("/agents").await;
    assert_eq!(all.as_array().unwrap().len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn bad_creations_are_refused_and_store_nothing() {
    // Duplicate names, unknown homes, empty or overlong names and missing tokens change nothing.
    let app = spawn_app().await;
    app.create_agent("Bram Moss", None).await;
    let dup = app
        .post("/admin/agents", &json!({ "display_name": "Bram Moss" }))
        .await;
    assert_error(dup, StatusCode::CONFLICT, "conflict").await;
    let home = app
        .post(
            "/admin/agents",
            &json!({ "display_name": "X", "home": "cafe" }),
        )
        .await;
    let message = assert_error(home, StatusCode::UNPROCESSABLE_ENTITY, "unknown_home").await;
    assert!(message.contains("home-ash"), "{message}");
    let empty = app
        .post("/admin/agents", &json!({ "display_name": "   " }))
        .await;
    assert_error(empty, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    let long = app
        .post("/admin/agents", &json!({ "display_name": "n".repeat(65) }))
        .await;
    assert_error(long, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    let control = app
        .post("/admin/agents", &json!({ "display_name": "bell\u{7}" }))
        .await;
    assert_error(control, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    let no_token = app
        .client
        .post(app.url("/admin/agents"))
        .json(&json!({ "display_name": "Cora" }))
        .send()
        .await
        .unwrap();
    assert_error(no_token, StatusCode::UNAUTHORIZED, "missing_token").await;
    let wrong_token = app
        .client
        .post(app.url("/admin/agents"))
        .bearer_auth(format!("{}x", app.admin_token))
        .json(&json!({ "display_name": "Cora" }))
        .send()
        .await
        .unwrap();
    assert_error(wrong_token, StatusCode::UNAUTHORIZED, "bad_token").await;
    assert_eq!(app.store.count_agents().await.unwrap(), 1);
    assert_eq!(app.get_json("/agents").await.as_array().unwrap().len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn unknown_and_malformed_agent_ids_get_json_errors() {
    // A missing agent is 404 and a non-numeric id 400, both with the error body.
    let app = spawn_app().await;
    assert_error(
        app.get("/agents/999").await,
        StatusCode::NOT_FOUND,
        "unknown_agent",
    )
    .await;
    assert_error(
        app.get("/agents/abc").await,
        StatusCode::BAD_REQUEST,
        "invalid_path",
    )
    .await;
    let moved = app
        .post("/agents/999/move", &json!({ "dx": 1, "dy": 0 }))
        .await;
    assert_error(moved, StatusCode::NOT_FOUND, "unknown_agent").await;
    let acted = app
        .post("/agents/999/action", &json!({ "action": "idle" }))
        .await;
    assert_error(acted, StatusCode::NOT_FOUND, "unknown_agent").await;
    assert_error(
        app.get("/agents/999/perception").await,
        StatusCode::NOT_FOUND,
        "unknown_agent",
    )
    .await;
    app.stop().await;
}
