//! The kill switch over HTTP: each order's effect on the agent's status, its token, its tier,
//! the runtime's listing and the audit log; quarantines released only by resume; bad orders
//! changing nothing.

use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::AgentId;

use crate::helpers::{TestApp, WorldStream, assert_error, spawn_app};

async fn order(app: &TestApp, agent: AgentId, action: &str) -> Value {
    let response = app
        .post(
            &format!("/admin/agents/{agent}/control"),
            &json!({"action": action, "reason": format!("test {action}")}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK, "{action}");
    response.json().await.unwrap()
}

/// The runtime's view of one agent.
async fn runtime_entry(app: &TestApp, agent: AgentId) -> Value {
    let listing = app.get_json("/runtime/agents").await;
    listing["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["id"] == agent.0)
        .cloned()
        .unwrap()
}

#[tokio::test]
async fn each_hold_reaches_the_status_the_runtime_listing_and_the_audit_log() {
    // Pause, stop and kill each hold the agent (status paused, moves refused) and tell the
    // runtime its container's state; resume lets it move again; each order is audited with
    // its reason.
    let app = spawn_app().await;
    let agent = app.create_agent("Ada", None).await;
    let token = app.agent_token(agent);
    let mv = format!("/agents/{agent}/move");
    let step = json!({"landmark": "plaza"});
    for (action, container) in [("pause", "paused"), ("stop", "stopped"), ("kill", "killed")] {
        let view = order(&app, agent, action).await;
        assert_eq!(view["hold"], action);
        assert_eq!(view["status"], "paused");
        assert_eq!(view["container"], container);
        assert_eq!(view["reason"], format!("test {action}"));
        let entry = runtime_entry(&app, agent).await;
        assert_eq!(entry["want"], container, "{entry}");
        assert_eq!(entry["hold"], action);
        assert_eq!(app.agent(agent).await["status"], "paused");
        let refused = app.post_as(Some(&token), &mv, &step).await;
        assert_error(refused, StatusCode::LOCKED, "agent_held").await;
    }
    let view = order(&app, agent, "resume").await;
    assert_eq!(view["hold"], Value::Null);
    assert_eq!(view["container"], "running");
    assert_eq!(runtime_entry(&app, agent).await["want"], "running");
    let moved = app.post_as(Some(&token), &mv, &step).await;
    assert_eq!(moved.status(), StatusCode::ACCEPTED);
    for action in ["pause", "stop", "kill", "resume"] {
        let audit = app
            .get_json(&format!("/admin/audit?action=admin.agent_{action}"))
            .await;
        let entries = audit["entries"].as_array().unwrap();
        assert_eq!(entries.len(), 1, "{audit}");
        assert_eq!(entries[0]["target"], format!("agent:{agent}"));
        assert_eq!(entries[0]["detail"], format!("test {action}"));
    }
    let read = app
        .get_json(&format!("/admin/agents/{agent}/control"))
        .await;
    assert_eq!(read["hold"], Value::Null);
    assert_eq!(read["reason"], "test resume");
    app.stop().await;
}

#[tokio::test]
async fn a_quarantine_cuts_the_token_and_only_resume_releases_it() {
    // The token in the container stops working at once and neither the runtime nor an admin
    // gets a new one while quarantined; milder holds are refused; after resume the runtime's
    // fresh token acts (through the agent door, where container tokens work).
    let app = spawn_app().await;
    let (_, runtime) = app.account("launcher", "runtime").await;
    let agent = app.create_agent("Ada", None).await;
    let token = app.agent_token(agent);
    let perception = format!("/agents/{agent}/perception");
    assert_eq!(
        app.get_as(Some(&token), &perception).await.status(),
        StatusCode::OK
    );

    let view = order(&app, agent, "quarantine").await;
    assert_eq!(view["status"], "quarantined");
    assert_eq!(view["container"], "killed");
    assert_eq!(
        app.get_as(Some(&token), &perception).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let fresh_path = format!("/runtime/agents/{agent}/token");
    let refused = app.post_as(Some(&runtime), &fresh_path, &json!({})).await;
    assert_error(refused, StatusCode::CONFLICT, "agent_quarantined").await;
    let by_admin = app
        .post(&format!("/admin/agents/{agent}/token"), &json!({}))
        .await;
    assert_error(by_admin, StatusCode::CONFLICT, "agent_quarantined").await;
    for milder in ["pause", "stop", "kill"] {
        let refused = app
            .post(
                &format!("/admin/agents/{agent}/control"),
                &json!({"action": milder, "reason": "soften"}),
            )
            .await;
        assert_error(refused, StatusCode::CONFLICT, "agent_quarantined").await;
    }
    assert_eq!(runtime_entry(&app, agent).await["want"], "killed");

    order(&app, agent, "resume").await;
    assert_eq!(
        app.get_as(Some(&token), &perception).await.status(),
        StatusCode::UNAUTHORIZED,
        "the old token stays dead"
    );
    let response = app.post_as(Some(&runtime), &fresh_path, &json!({})).await;
    assert_eq!(response.status(), StatusCode::OK);
    let fresh: Value = response.json().await.unwrap();
    let fresh = fresh["token"].as_str().unwrap();
    assert_eq!(
        app.door_get_as(Some(fresh), &perception).await.status(),
        StatusCode::OK
    );
    app.stop().await;
}

#[tokio::test]
async fn a_freeze_drops_the_tier_whatever_the_balance_and_an_unfreeze_restores_it() {
    // A worker by balance is listed at the first tier with its limits while frozen, the tier
    // change is audited with its reason, and unfreezing brings the worker tier back.
    let app = spawn_app().await;
    let agent = app.create_agent("Ada", None).await;
    let mut stream = app.stream().await;
    stream.skip_intro().await;
    let deposit = json!({"agent_id": agent.0, "amount_micros": 10_000_000, "paypal_txn_id": "T1"});
    assert_eq!(
        app.post("/economy/deposits", &deposit).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(runtime_entry(&app, agent).await["tier"], "worker");

    let view = order(&app, agent, "freeze").await;
    assert_eq!(view["frozen"], true);
    assert_eq!(view["tier"], "seedling");
    assert_eq!(
        view["container"], "running",
        "a freeze alone keeps it running"
    );
    let entry = runtime_entry(&app, agent).await;
    assert_eq!(entry["tier"], "seedling");
    assert_eq!(entry["frozen"], true);
    assert_eq!(entry["entitlements"]["cpu_millicores"], 500);
    tier_changed(&app, &mut stream, agent, ("worker", "seedling", "frozen")).await;

    let view = order(&app, agent, "unfreeze").await;
    assert_eq!(view["frozen"], false);
    assert_eq!(view["tier"], "worker");
    assert_eq!(runtime_entry(&app, agent).await["tier"], "worker");
    tier_changed(&app, &mut stream, agent, ("seedling", "worker", "unfrozen")).await;
    app.stop().await;
}

/// Waits for the tier watcher's `TierChanged` event on the world stream, then finds its audit
/// entry (written before the event is sent).
async fn tier_changed(
    app: &TestApp,
    stream: &mut WorldStream,
    agent: AgentId,
    (from, to, reason): (&str, &str, &str),
) {
    let expected = shared::protocol::VillageEvent::TierChanged {
        agent,
        from: from.into(),
        to: to.into(),
        reason: reason.into(),
    };
    stream.wait_for_event(&expected).await;
    let audit = app
        .get_json("/admin/audit?action=economy.tier_change")
        .await;
    let detail = format!("{from} -> {to} ({reason})");
    assert!(
        audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["detail"] == detail.as_str()),
        "no audit entry {detail:?}: {audit}"
    );
}

#[tokio::test]
async fn bad_orders_are_refused_and_change_nothing() {
    // An unknown action, a missing or overlong reason and an unknown agent are refused with
    // their own codes; the agent keeps acting and nothing is audited.
    let app = spawn_app().await;
    let agent = app.create_agent("Ada", None).await;
    let path = format!("/admin/agents/{agent}/control");
    let cases = [
        (json!({"action": "explode", "reason": "x"}), 422),
        (json!({"action": "pause"}), 422),
        (json!({"action": "pause", "reason": "   "}), 422),
        (json!({"action": "pause", "reason": "r".repeat(501)}), 422),
        (json!({"action": "pause", "reason": "x", "extra": 1}), 422),
    ];
    for (body, status) in cases {
        let response = app.post(&path, &body).await;
        assert_eq!(response.status().as_u16(), status, "{body}");
    }
    let unknown = app
        .post(
            "/admin/agents/999999/control",
            &json!({"action": "pause", "reason": "x"}),
        )
        .await;
    assert_error(unknown, StatusCode::NOT_FOUND, "unknown_agent").await;
    assert_eq!(app.agent(agent).await["status"], "idle");
    let read = app.get_json(&path).await;
    assert_eq!(read["hold"], Value::Null);
    assert_eq!(read["updated_by"], Value::Null);
    let audit = app.get_json("/admin/audit?action=admin.agent_pause").await;
    assert!(audit["entries"].as_array().unwrap().is_empty(), "{audit}");
    app.stop().await;
}

#[tokio::test]
async fn a_held_agents_token_is_refused_on_every_route_until_resumed() {
    // While paused, stopped or killed, the agent's token gets 423 naming the hold on every
    // route it uses, through TCP and the agent door alike: reads, moves, posts, replies, chat
    // messages, purchases, tool calls and the LLM gateway; nothing is written; after resume
    // the same token works again.
    let app = crate::helpers::spawn_app_with(|s| s.board.agents_post_at_board_only = false).await;
    let agent = app.create_agent("Ada", None).await;
    let token = app.agent_token(agent);
    let deposit = json!({"agent_id": agent.0, "amount_micros": 10_000_000, "paypal_txn_id": "H1"});
    assert_eq!(
        app.post("/economy/deposits", &deposit).await.status(),
        StatusCode::CREATED
    );
    let post = app
        .post_as(
            Some(&token),
            "/board/posts",
            &json!({"title": "Help", "body": "Numbers?"}),
        )
        .await;
    assert_eq!(post.status(), StatusCode::CREATED);
    let post = post.json::<Value>().await.unwrap()["id"].as_u64().unwrap();
    let (_, hana) = app.account("hana", "human").await;
    let opened = app
        .post_as(
            Some(&hana),
            "/chats",
            &json!({"agent_id": agent.0, "title": "Task", "body": "Please sum these."}),
        )
        .await;
    assert_eq!(opened.status(), StatusCode::CREATED);
    let chat = opened.json::<Value>().await.unwrap()["chat"]["id"]
        .as_u64()
        .unwrap();
    let writes = [
        (
            format!("/agents/{agent}/move"),
            json!({"landmark": "plaza"}),
        ),
        (format!("/agents/{agent}/action"), json!({"action": "idle"})),
        (
            "/board/posts".to_string(),
            json!({"title": "More", "body": "Again"}),
        ),
        (
            format!("/board/posts/{post}/replies"),
            json!({"body": "Me again"}),
        ),
        (
            format!("/chats/{chat}/messages"),
            json!({"body": "Working on it"}),
        ),
        (
            "/economy/purchase".to_string(),
            json!({"transfer_id": "buy-held", "tier": "worker", "hours": 1}),
        ),
        (
            format!("/agents/{agent}/tool-calls"),
            json!({"call_id": "held-1", "tool": "shell", "input": "true", "cwd": "/workspace",
                   "outcome": "ok", "exit_code": 0, "duration_ms": 3, "output": "",
                   "output_bytes": 0}),
        ),
        (
            "/v1/chat/completions".to_string(),
            json!({"model": "village-small", "messages": [{"role": "user", "content": "hi"}]}),
        ),
    ];
    let reads = [
        format!("/agents/{agent}/perception"),
        format!("/economy/balance/{agent}"),
        "/chats".to_string(),
    ];
    for hold in ["pause", "stop", "kill"] {
        order(&app, agent, hold).await;
        for (path, body) in &writes {
            for response in [
                app.post_as(Some(&token), path, body).await,
                app.door_post_as(Some(&token), path, body).await,
            ] {
                let message = assert_error(response, StatusCode::LOCKED, "agent_held").await;
                assert!(message.contains(hold), "{path}: {message}");
            }
        }
        for path in &reads {
            let refused = app.get_as(Some(&token), path).await;
            assert_error(refused, StatusCode::LOCKED, "agent_held").await;
        }
    }
    let board = app.get_json("/board/posts").await;
    assert_eq!(
        board["posts"].as_array().unwrap().len(),
        1,
        "nothing posted"
    );
    let ledger = app.get_json(&format!("/economy/ledger/{agent}")).await;
    assert_eq!(
        ledger["transfers"].as_array().unwrap().len(),
        1,
        "only the deposit"
    );
    let calls = app.get_json(&format!("/agents/{agent}/tool-calls")).await;
    assert!(calls["calls"].as_array().unwrap().is_empty(), "{calls}");

    order(&app, agent, "resume").await;
    let moved = app.post_as(Some(&token), &writes[0].0, &writes[0].1).await;
    assert_eq!(moved.status(), StatusCode::ACCEPTED);
    let said = app.post_as(Some(&token), &writes[4].0, &writes[4].1).await;
    assert_eq!(said.status(), StatusCode::CREATED);
    app.stop().await;
}
