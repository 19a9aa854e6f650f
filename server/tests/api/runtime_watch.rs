//! `GET /runtime/changes`: the runtime's long poll answers at once for a version it has not
//! seen, waits for the next change otherwise, and is woken by a tier change (a deposit that
//! lifts an agent into the next tier) and by a kill-switch order; a wait with no change ends
//! with the same version.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error, spawn_app};

async fn version(app: &TestApp, runtime: &str, query: &str) -> u64 {
    let answer = app
        .get_json_as(Some(runtime), &format!("/runtime/changes{query}"))
        .await;
    answer["version"].as_u64().unwrap()
}

/// Waits (up to 20 s, in the background) for a change after `seen`.
fn waiter(app: &TestApp, runtime: &str, seen: u64) -> tokio::task::JoinHandle<Value> {
    let request = app
        .client
        .get(app.url(&format!("/runtime/changes?after={seen}&wait_ms=20000")))
        .bearer_auth(runtime);
    tokio::spawn(async move { request.send().await.unwrap().json().await.unwrap() })
}

#[tokio::test]
async fn the_long_poll_wakes_at_a_tier_change_and_at_a_kill_switch_order() {
    let app = spawn_app().await;
    let (_, runtime) = app.account("launcher", "runtime").await;
    let ada = app.create_agent("Ada", None).await;
    let first = version(&app, &runtime, "").await;
    // A version it has not seen (an older server's) answers at once with the current one.
    assert_eq!(
        version(
            &app,
            &runtime,
            &format!("?after={}&wait_ms=20000", first + 99)
        )
        .await,
        first
    );
    // Nothing changes: the wait ends with the same version.
    assert_eq!(
        version(&app, &runtime, &format!("?after={first}&wait_ms=50")).await,
        first
    );

    // 10 aiDollar lift Ada from seedling to worker: the waiter wakes with a new version.
    let waiting = waiter(&app, &runtime, first);
    let deposit = json!({"agent_id": ada.0, "amount_micros": 10_000_000, "paypal_txn_id": "W1"});
    assert_eq!(
        app.post("/economy/deposits", &deposit).await.status(),
        StatusCode::CREATED
    );
    let woken = waiting.await.unwrap()["version"].as_u64().unwrap();
    assert_ne!(woken, first);
    let agents = app.get_json_as(Some(&runtime), "/runtime/agents").await;
    assert_eq!(agents["agents"][0]["tier"], "worker", "{agents}");

    // A pause by the kill switch wakes it too.
    let seen = version(&app, &runtime, "").await;
    let waiting = waiter(&app, &runtime, seen);
    let pause = json!({"action": "pause", "reason": "watch test"});
    let paused = app
        .post(&format!("/admin/agents/{ada}/control"), &pause)
        .await;
    assert_eq!(paused.status(), StatusCode::OK);
    assert_ne!(waiting.await.unwrap()["version"].as_u64().unwrap(), seen);

    let refused = app
        .get_as(
            Some(&runtime),
            &format!("/runtime/changes?after={seen}&wait_ms=30001"),
        )
        .await;
    assert_error(refused, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    app.stop().await;
}
