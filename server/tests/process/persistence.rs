//! Positions survive restarts: exactly after SIGTERM, within one second of travel after kill -9.

use futures_util::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};
use shared::codec::{self, Format, Frame};
use shared::{AgentId, ServerMsg, TilePos};
use tokio_tungstenite::tungstenite::Message;

use crate::server_process::{ADMIN_PASSWORD, ADMIN_USER, START_WAIT, ServerProcess, admin_create};

/// Ticks per second at the default 100 ms tick: one second of travel in tiles.
const TILES_PER_SECOND: u32 = 10;

async fn create_and_walk(
    server: &ServerProcess,
) -> (AgentId, impl StreamExt<Item = ServerMsg> + Unpin + use<>) {
    let client = reqwest::Client::new();
    let admin = server.admin_token().await;
    let created: Value = client
        .post(server.url("/admin/agents"))
        .bearer_auth(&admin)
        .json(&json!({ "display_name": "Traveller", "home": "home-ash" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = AgentId(created["agent_id"].as_u64().unwrap());
    // The agent moves itself, with its own token.
    let token = created["token"].as_str().unwrap().to_string();
    let (socket, _) = tokio_tungstenite::connect_async(format!("ws://{}/ws/world", server.addr))
        .await
        .unwrap();
    let messages = socket.filter_map(|m| async move {
        match m {
            Ok(Message::Binary(bytes)) => Some(
                codec::decode_server(&Frame::Binary(bytes.to_vec()), Format::Postcard, 1 << 24)
                    .unwrap(),
            ),
            _ => None,
        }
    });
    let response = client
        .post(server.url(&format!("/agents/{id}/move")))
        .bearer_auth(&token)
        .json(&json!({ "landmark": "workshop" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    (id, Box::pin(messages))
}

/// Reads deltas until the agent has taken `steps` steps; returns its last reported tile.
async fn follow(
    messages: &mut (impl StreamExt<Item = ServerMsg> + Unpin),
    id: AgentId,
    steps: usize,
) -> TilePos {
    let mut taken = 0;
    let mut last = None;
    while taken < steps {
        let message = tokio::time::timeout(START_WAIT, messages.next())
            .await
            .unwrap()
            .unwrap();
        if let ServerMsg::Delta(delta) = message {
            for moved in delta.moved.iter().filter(|m| m.id == id) {
                taken += 1;
                last = Some(moved.pos);
            }
        }
    }
    last.unwrap()
}

async fn position_after_restart(data_dir: &std::path::Path, id: AgentId) -> TilePos {
    let server = ServerProcess::start(data_dir);
    let agent: Value = reqwest::get(server.url(&format!("/agents/{id}")))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        agent["activity"]["kind"], "idle",
        "a walk does not survive a restart"
    );
    serde_json::from_value(agent["pos"].clone()).unwrap()
}

#[tokio::test]
async fn after_sigterm_every_agent_is_exactly_where_it_stopped() {
    // A graceful stop saves the final position: the restarted server shows the last tile the
    // stream reported before it closed.
    let dir = tempfile::tempdir().unwrap();
    assert!(admin_create(dir.path(), ADMIN_USER, ADMIN_PASSWORD).0);
    let server = ServerProcess::start(dir.path());
    let (id, mut messages) = create_and_walk(&server).await;
    let mut last = follow(&mut messages, id, 5).await;
    server.signal("TERM");
    // Read to the end of the stream: every step the server took is reported before it closes.
    while let Ok(Some(message)) = tokio::time::timeout(START_WAIT, messages.next()).await {
        if let ServerMsg::Delta(delta) = message
            && let Some(moved) = delta.moved.iter().rev().find(|m| m.id == id)
        {
            last = moved.pos;
        }
    }
    assert!(server.wait(), "SIGTERM is a clean exit");
    assert_eq!(position_after_restart(dir.path(), id).await, last);
}

#[tokio::test]
async fn after_kill_9_every_agent_is_within_one_second_of_travel() {
    // Positions are written behind at most every second, so a crash loses less than one
    // second of walking.
    let dir = tempfile::tempdir().unwrap();
    assert!(admin_create(dir.path(), ADMIN_USER, ADMIN_PASSWORD).0);
    let server = ServerProcess::start(dir.path());
    let (id, mut messages) = create_and_walk(&server).await;
    let last = follow(&mut messages, id, 25).await;
    server.signal("KILL");
    assert!(!server.wait(), "SIGKILL is not a clean exit");
    let restored = position_after_restart(dir.path(), id).await;
    let lost = restored.manhattan(last);
    assert!(
        lost <= TILES_PER_SECOND,
        "restored {restored}, last seen {last}: {lost} tiles apart"
    );
}

#[tokio::test]
async fn a_hold_and_a_freeze_survive_kill_9_at_once() {
    // A kill-switch order is stored before it is acknowledged: the server killed right after
    // answering restarts with the agent quarantined, frozen and its old token dead.
    let dir = tempfile::tempdir().unwrap();
    assert!(admin_create(dir.path(), ADMIN_USER, ADMIN_PASSWORD).0);
    let server = ServerProcess::start(dir.path());
    let admin = server.admin_token().await;
    let suspect = Some(json!({ "display_name": "Suspect" }));
    let (status, created) = server
        .call_as(&admin, Method::POST, "/admin/agents", suspect)
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["agent_id"].as_u64().unwrap();
    let token = created["token"].as_str().unwrap().to_string();
    let control = format!("/admin/agents/{id}/control");
    for action in ["freeze", "quarantine"] {
        let order = Some(json!({ "action": action, "reason": "review" }));
        let (status, _) = server.call_as(&admin, Method::POST, &control, order).await;
        assert_eq!(status, 200, "{action}");
    }
    server.signal("KILL");
    assert!(!server.wait(), "SIGKILL is not a clean exit");

    let server = ServerProcess::start(dir.path());
    let agent = server.get_json(&format!("/agents/{id}")).await;
    assert_eq!(agent["status"], "quarantined");
    assert_eq!(agent["tier"], "seedling");
    let admin = server.admin_token().await;
    let (_, held) = server.call_as(&admin, Method::GET, &control, None).await;
    assert_eq!(held["hold"], "quarantine");
    assert_eq!(held["frozen"], true);
    let perception = format!("/agents/{id}/perception");
    let (status, _) = server.call_as(&token, Method::GET, &perception, None).await;
    assert_eq!(status, 401);
}
