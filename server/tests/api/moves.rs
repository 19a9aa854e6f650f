//! Moving agents: one step, walks to tiles and landmarks, and every refusal.

use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::{ServerMsg, TilePos};

use crate::helpers::{assert_error, spawn_app};

#[tokio::test]
async fn a_walk_to_a_landmark_moves_one_tile_per_tick_and_ends_inside_it() {
    // Every delta moves the walker by exactly one tile onto a walkable tile, ending in the café.
    let app = spawn_app().await;
    let id = app.create_agent("Walker", Some("home-ash")).await;
    let start = app.pos(id).await;
    let mut stream = app.stream().await;
    let mut last_tick = stream.skip_intro().await;
    let response = app
        .post(
            &format!("/agents/{id}/move"),
            &json!({ "landmark": "cafe" }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let plan: Value = response.json().await.unwrap();
    let to: TilePos = serde_json::from_value(plan["to"].clone()).unwrap();
    let steps = plan["steps"].as_u64().unwrap();
    assert!(steps > 10, "the café is far from Ash Lodge: {plan}");
    assert_eq!(plan["landmark"], "cafe");
    let mut at = start;
    let mut seen_steps = 0;
    while at != to {
        let ServerMsg::Delta(delta) = stream.next().await else {
            panic!("deltas only")
        };
        assert_eq!(delta.tick.0, last_tick + 1, "one delta per tick, in order");
        last_tick = delta.tick.0;
        let mine: Vec<_> = delta.moved.iter().filter(|m| m.id == id).collect();
        assert!(mine.len() <= 1, "at most one step per tick");
        if let Some(step) = mine.first() {
            assert_eq!(at.manhattan(step.pos), 1, "one tile per step");
            at = step.pos;
            seen_steps += 1;
        }
    }
    assert_eq!(seen_steps, steps);
    let agent = app.agent(id).await;
    assert_eq!(agent["activity"]["landmark"], "cafe");
    assert_eq!(agent["activity"]["kind"], "idle");
    app.stop().await;
}

#[tokio::test]
async fn one_step_and_absolute_moves_work() {
    // {dx,dy} of one tile is one step; {x,y} walks to that exact tile.
    let app = spawn_app().await;
    let id = app.create_agent("Stepper", Some("home-ash")).await;
    let start = app.pos(id).await;
    let mut stream = app.stream().await;
    let response = app
        .post(&format!("/agents/{id}/move"), &json!({ "dx": 1, "dy": 0 }))
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let plan: Value = response.json().await.unwrap();
    assert_eq!(plan["steps"], 1);
    let east = TilePos::new(start.x + 1, start.y);
    stream.wait_for_move(id, east).await;
    assert_eq!(app.pos(id).await, east);
    let response = app
        .post(&format!("/agents/{id}/move"), &json!({ "x": 23, "y": 15 }))
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    stream.wait_for_move(id, TilePos::new(23, 15)).await;
    assert_eq!(app.pos(id).await, TilePos::new(23, 15));
    app.stop().await;
}

#[tokio::test]
async fn refused_moves_name_the_problem_and_change_nothing() {
    // Off-map, wall, unknown landmark and ambiguous bodies are 422s and the agent stays put.
    let app = spawn_app().await;
    let id = app.create_agent("Stayer", Some("home-ash")).await;
    let before = app.agent(id).await;
    let path = format!("/agents/{id}/move");
    let off = app.post(&path, &json!({ "x": 48, "y": 3 })).await;
    let message = assert_error(off, StatusCode::UNPROCESSABLE_ENTITY, "out_of_bounds").await;
    assert!(message.contains("48x32"), "{message}");
    let negative = app.post(&path, &json!({ "dx": -1000, "dy": 0 })).await;
    assert_error(negative, StatusCode::UNPROCESSABLE_ENTITY, "out_of_bounds").await;
    let wall = app.post(&path, &json!({ "x": 0, "y": 0 })).await;
    assert_error(wall, StatusCode::UNPROCESSABLE_ENTITY, "not_walkable").await;
    let unknown = app.post(&path, &json!({ "landmark": "moon" })).await;
    let message = assert_error(
        unknown,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown_landmark",
    )
    .await;
    assert!(
        message.contains("cafe") && message.contains("plaza"),
        "{message}"
    );
    let both = app
        .post(&path, &json!({ "dx": 1, "dy": 0, "landmark": "cafe" }))
        .await;
    assert_error(both, StatusCode::UNPROCESSABLE_ENTITY, "invalid_move").await;
    let half = app.post(&path, &json!({ "x": 3 })).await;
    assert_error(half, StatusCode::UNPROCESSABLE_ENTITY, "invalid_move").await;
    let wrong_type = app.post(&path, &json!({ "x": "3", "y": 4 })).await;
    assert_error(wrong_type, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body").await;
    let huge = app.post(&path, &json!({ "x": 1e30, "y": 4 })).await;
    assert_error(huge, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body").await;
    // Let a few ticks pass: nothing moves.
    let mut stream = app.stream().await;
    let tick = stream.skip_intro().await;
    loop {
        let ServerMsg::Delta(delta) = stream.next().await else {
            panic!("deltas only")
        };
        assert!(delta.moved.is_empty(), "nobody walks after refused moves");
        if delta.tick.0 >= tick + 5 {
            break;
        }
    }
    let after = app.agent(id).await;
    assert_eq!(before["pos"], after["pos"]);
    assert_eq!(before["activity"], after["activity"]);
    app.stop().await;
}
