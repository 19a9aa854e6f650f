//! The compute tier on every agent view the world shows: set from the tier book when an agent
//! is created or loaded, and moved by the same tier changes the stream announces.

use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::protocol::VillageEvent;
use shared::{AgentId, ServerMsg, Snapshot};
use village_server::startup::Application;

use crate::helpers::{TestApp, spawn_app_with, test_settings};

/// The tier `snapshot` shows for `agent`.
fn tier_in(snapshot: &Snapshot, agent: AgentId) -> String {
    snapshot
        .agents
        .iter()
        .find(|view| view.id == agent)
        .map(|view| view.tier.clone())
        .expect("the agent is in the snapshot")
}

/// The snapshot a new world stream opens with.
async fn stream_snapshot(app: &TestApp) -> Snapshot {
    let mut stream = app.stream().await;
    assert!(matches!(stream.next().await, ServerMsg::Hello { .. }));
    match stream.next().await {
        ServerMsg::Snapshot(snapshot) => snapshot,
        other => panic!("expected a snapshot, got {other:?}"),
    }
}

#[tokio::test]
async fn a_reward_across_a_tier_boundary_shows_in_later_snapshots_and_after_a_restart() {
    // A new agent is a seedling in the world's views; a reward that lifts it to worker is a
    // TierChanged event, after which a new stream's snapshot, GET /world and GET /agents/{id}
    // all say worker; a server started again over the same database places it as a worker.
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_path_buf();
    let app = spawn_app_with(|s| {
        s.server.data_dir = dir.clone();
        s.board.agents_post_at_board_only = false;
    })
    .await;
    let ada = app.create_agent("Ada", None).await;
    assert_eq!(tier_in(&stream_snapshot(&app).await, ada), "seedling");
    let mut watcher = app.stream().await;
    watcher.skip_intro().await;

    let post = app
        .post_as(
            Some(&app.agent_token(ada)),
            "/board/posts",
            &json!({"title": "Patch ready", "body": "Please review."}),
        )
        .await;
    assert_eq!(post.status(), StatusCode::CREATED);
    let post: Value = post.json().await.unwrap();
    let (_, human) = app.account("hal", "human").await;
    let reward = json!({"transfer_id": "tier-up", "agent_id": ada.0, "amount_micros": 12_000_000,
                        "reason": "clear and useful", "post_id": post["id"]});
    let response = app.post_as(Some(&human), "/economy/reward", &reward).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let expected = VillageEvent::TierChanged {
        agent: ada,
        from: "seedling".into(),
        to: "worker".into(),
        reason: "reward".into(),
    };
    watcher.wait_for_event(&expected).await;

    assert_eq!(tier_in(&stream_snapshot(&app).await, ada), "worker");
    let world: Snapshot = serde_json::from_value(app.get_json("/world").await).unwrap();
    assert_eq!(tier_in(&world, ada), "worker");
    assert_eq!(app.agent(ada).await["tier"], "worker");
    app.stop().await;

    let again = Application::build(test_settings(&dir)).await.unwrap();
    let tier = again
        .world()
        .call(move |world, _| world.agent(ada).map(|view| view.tier.clone()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(tier, "worker");
    let shutdown = again.shutdown_token();
    shutdown.cancel();
    again
        .run_until_stopped(std::future::pending())
        .await
        .unwrap();
}
