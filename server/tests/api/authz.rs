//! The authorization matrix: every route against every kind of caller, with the status each
//! must get. No caller reaches another's agent, and roles gate the admin and moderation routes.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Db, TestApp, spawn_app_on, spawn_app_with};

/// The callers of the matrix, in column order.
const CALLERS: [&str; 8] = [
    "anonymous",
    "human",
    "other human",
    "agent",
    "other agent",
    "moderator",
    "admin",
    "runtime",
];

/// One row: a request and the status each caller (in [`CALLERS`] order) must get.
struct Row {
    method: Method,
    path: String,
    body: Option<Value>,
    expect: [u16; 8],
}

fn row(method: Method, path: String, body: Option<Value>, expect: [u16; 8]) -> Row {
    Row {
        method,
        path,
        body,
        expect,
    }
}

#[tokio::test]
async fn every_route_answers_every_role_as_the_matrix_says() {
    // Each (route, caller) pair gets exactly the listed status; bodies that would write are
    // made unique per caller so that a success is a real success, not a conflict.
    matrix(Db::Sqlite).await;
}

#[tokio::test]
async fn the_matrix_holds_on_postgresql_too() {
    // The same matrix against a server whose store is PostgreSQL.
    if let Some(db) = Db::postgres() {
        matrix(db).await;
    }
}

async fn matrix(db: Db) {
    let app = spawn_app_on(db, |s| s.board.agents_post_at_board_only = false).await;
    let agent = app.create_agent("Agent A", None).await;
    let other = app.create_agent("Agent B", None).await;
    let spare = app.create_agent("Agent Spare", None).await;
    let contained = app.create_agent("Agent In A Container", None).await;
    let (_, human) = app.account("hana", "human").await;
    let (_, other_human) = app.account("hugo", "human").await;
    let (_, moderator) = app.account("mona", "moderator").await;
    let (_, runtime) = app.account("rune", "runtime").await;
    let (spare_account, _) = app.account("spare", "human").await;
    let tokens: [Option<String>; 8] = [
        None,
        Some(human.clone()),
        Some(other_human),
        Some(app.agent_token(agent)),
        Some(app.agent_token(other)),
        Some(moderator),
        Some(app.admin_token.clone()),
        Some(runtime),
    ];
    let post = post_as(&app, &human, "a question").await;
    let chat = open_chat(&app, &human, agent.0).await;
    let work = post_as(&app, &app.agent_token(agent), "the agent's work").await;
    let reply = reply_as(&app, &human, post).await;
    for (who, txn) in [(agent, "SEED-A"), (other, "SEED-B")] {
        let seed = json!({"agent_id": who.0, "amount_micros": 10_000_000, "paypal_txn_id": txn});
        assert_eq!(
            app.post("/economy/deposits", &seed).await.status(),
            StatusCode::CREATED
        );
    }
    let a = agent.0;
    use Method as M;
    let rows = vec![
        row(M::GET, "/world".into(), None, [200; 8]),
        row(M::GET, "/agents".into(), None, [200; 8]),
        row(M::GET, format!("/agents/{a}"), None, [200; 8]),
        row(
            M::GET,
            format!("/agents/{a}/perception"),
            None,
            [401, 403, 403, 200, 403, 403, 200, 403],
        ),
        row(
            M::POST,
            format!("/agents/{a}/move"),
            Some(json!({"landmark": "plaza"})),
            [401, 403, 403, 202, 403, 403, 202, 403],
        ),
        row(
            M::POST,
            format!("/agents/{a}/action"),
            Some(json!({"action": "idle"})),
            [401, 403, 403, 200, 403, 403, 200, 403],
        ),
        row(
            M::POST,
            format!("/agents/{a}/tool-calls"),
            Some(
                json!({"call_id": "m-{caller}", "tool": "shell", "input": "true", "cwd": "/workspace",
                "outcome": "ok", "exit_code": 0, "duration_ms": 3, "output": "", "output_bytes": 0}),
            ),
            [401, 403, 403, 201, 403, 403, 403, 403],
        ),
        row(
            M::GET,
            format!("/agents/{a}/tool-calls"),
            None,
            [401, 403, 403, 200, 403, 200, 200, 403],
        ),
        row(
            M::PUT,
            "/agents/me/notebook".into(),
            Some(json!({"tasks": [], "life": "{caller}", "updated_at_ms": 1})),
            [401, 403, 403, 204, 204, 403, 403, 403],
        ),
        row(
            M::GET,
            format!("/agents/{a}/notebook"),
            None,
            [401, 403, 403, 200, 403, 200, 200, 403],
        ),
        row(
            M::POST,
            "/admin/agents".into(),
            Some(json!({"display_name": "New {caller}"})),
            [401, 403, 403, 403, 403, 403, 201, 403],
        ),
        row(
            M::POST,
            format!("/admin/agents/{}/revoke", spare.0),
            None,
            [401, 403, 403, 403, 403, 403, 200, 403],
        ),
        row(
            M::PUT,
            format!("/admin/agents/{}/brain", spare.0),
            Some(json!({"brain": "scripted"})),
            [401, 403, 403, 403, 403, 403, 200, 403],
        ),
        row(
            M::POST,
            format!("/admin/agents/{}/control", spare.0),
            Some(json!({"action": "freeze", "reason": "matrix"})),
            [401, 403, 403, 403, 403, 403, 200, 403],
        ),
        row(
            M::GET,
            format!("/admin/agents/{}/control", spare.0),
            None,
            [401, 403, 403, 403, 403, 403, 200, 403],
        ),
        row(
            M::POST,
            "/admin/accounts".into(),
            Some(
                json!({"username": "acct-{caller}", "password": "long enough password", "role": "human"}),
            ),
            [401, 403, 403, 403, 403, 403, 201, 403],
        ),
        row(
            M::POST,
            format!("/admin/accounts/{spare_account}/role"),
            Some(json!({"role": "moderator"})),
            [401, 403, 403, 403, 403, 403, 200, 403],
        ),
        row(
            M::GET,
            "/admin/audit".into(),
            None,
            [401, 403, 403, 403, 403, 403, 200, 403],
        ),
        row(M::GET, "/board/posts".into(), None, [200; 8]),
        row(M::GET, format!("/board/posts/{post}"), None, [200; 8]),
        row(
            M::POST,
            "/board/posts".into(),
            Some(json!({"title": "Post by {caller}", "body": "b"})),
            [401, 201, 201, 201, 201, 201, 201, 403],
        ),
        row(
            M::POST,
            format!("/board/posts/{post}/replies"),
            Some(json!({"body": "reply by {caller}"})),
            [401, 201, 201, 201, 201, 201, 201, 403],
        ),
        row(
            M::POST,
            format!("/board/posts/{post}/moderate"),
            Some(json!({"action": "reopen", "reason": "check"})),
            [401, 403, 403, 403, 403, 200, 200, 403],
        ),
        row(
            M::POST,
            format!("/board/replies/{reply}/moderate"),
            Some(json!({"action": "approve", "reason": "check"})),
            [401, 403, 403, 403, 403, 200, 200, 403],
        ),
        row(
            M::POST,
            "/moderation/chat-messages/999".into(),
            Some(json!({"action": "approve", "reason": "check"})),
            [401, 403, 403, 403, 403, 404, 404, 403],
        ),
        row(
            M::GET,
            "/moderation/queue".into(),
            None,
            [401, 403, 403, 403, 403, 200, 200, 403],
        ),
        row(
            M::GET,
            "/moderation/decisions".into(),
            None,
            [401, 403, 403, 403, 403, 200, 200, 403],
        ),
        row(
            M::POST,
            "/chats".into(),
            Some(json!({"agent_id": a, "title": "task", "body": "hello"})),
            [401, 201, 201, 403, 403, 201, 201, 403],
        ),
        row(
            M::GET,
            "/chats".into(),
            None,
            [401, 200, 200, 200, 200, 200, 200, 403],
        ),
        row(
            M::GET,
            format!("/chats/{chat}"),
            None,
            [401, 200, 404, 200, 404, 404, 200, 404],
        ),
        row(
            M::POST,
            format!("/chats/{chat}/messages"),
            Some(json!({"body": "from {caller}"})),
            [401, 201, 404, 201, 404, 404, 403, 404],
        ),
        row(M::GET, format!("/economy/balance/{a}"), None, [200; 8]),
        row(
            M::GET,
            format!("/economy/ledger/{a}"),
            None,
            [401, 403, 403, 200, 403, 200, 200, 403],
        ),
        row(
            M::POST,
            "/economy/reward".into(),
            Some(
                json!({"transfer_id": "rw-{caller}", "agent_id": a, "amount_micros": 1000,
                        "reason": "good", "post_id": work}),
            ),
            [401, 201, 201, 403, 403, 201, 201, 403],
        ),
        row(
            M::POST,
            "/economy/penalize".into(),
            Some(
                json!({"transfer_id": "pn-{caller}", "agent_id": a, "amount_micros": 100,
                        "reason": "sloppy", "post_id": work}),
            ),
            [401, 201, 201, 403, 403, 201, 201, 403],
        ),
        row(
            M::POST,
            "/economy/deposits".into(),
            Some(json!({"agent_id": a, "amount_micros": 1000, "paypal_txn_id": "TX-{caller}"})),
            [401, 403, 403, 403, 403, 403, 201, 403],
        ),
        row(
            M::POST,
            "/economy/purchase".into(),
            Some(json!({"transfer_id": "buy-{caller}", "tier": "worker", "hours": 1})),
            [401, 403, 403, 201, 201, 403, 403, 403],
        ),
        row(
            M::GET,
            "/runtime/agents".into(),
            None,
            [401, 403, 403, 403, 403, 403, 200, 200],
        ),
        row(
            M::POST,
            format!("/runtime/agents/{}/token", contained.0),
            None,
            [401, 403, 403, 403, 403, 403, 200, 200],
        ),
        row(
            M::GET,
            "/runtime/changes".into(),
            None,
            [401, 403, 403, 403, 403, 403, 200, 200],
        ),
        row(
            M::POST,
            "/runtime/reports".into(),
            Some(json!({"reports": []})),
            [401, 403, 403, 403, 403, 403, 200, 200],
        ),
        row(M::GET, "/healthz".into(), None, [200; 8]),
        row(M::GET, "/metrics".into(), None, [200; 8]),
    ];
    let mut failures = Vec::new();
    for row in &rows {
        for (column, caller) in CALLERS.iter().enumerate() {
            let status = send(&app, row, tokens[column].as_deref(), caller).await;
            if status.as_u16() != row.expect[column] {
                failures.push(format!(
                    "{} {} as {caller}: got {status}, want {}",
                    row.method, row.path, row.expect[column]
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "matrix mismatches:\n{}",
        failures.join("\n")
    );
    app.stop().await;
}

async fn send(app: &TestApp, row: &Row, token: Option<&str>, caller: &str) -> StatusCode {
    let mut request = app.client.request(row.method.clone(), app.url(&row.path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = &row.body {
        let text = body
            .to_string()
            .replace("{caller}", &caller.replace(' ', "-"));
        request = request
            .header("content-type", "application/json")
            .body(text);
    }
    request.send().await.unwrap().status()
}

async fn open_chat(app: &TestApp, token: &str, agent: u64) -> u64 {
    let response = app
        .post_as(
            Some(token),
            "/chats",
            &json!({"agent_id": agent, "title": "t", "body": "hi"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    body["chat"]["id"].as_u64().unwrap()
}

async fn reply_as(app: &TestApp, token: &str, post: u64) -> u64 {
    let response = app
        .post_as(
            Some(token),
            &format!("/board/posts/{post}/replies"),
            &json!({"body": "an answer"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    body["id"].as_u64().unwrap()
}

async fn post_as(app: &TestApp, token: &str, title: &str) -> u64 {
    let response = app
        .post_as(
            Some(token),
            "/board/posts",
            &json!({"title": title, "body": "help?"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    body["id"].as_u64().unwrap()
}

#[tokio::test]
async fn no_caller_can_name_another_author_or_act_for_another_agent() {
    // A post body that names an author is refused outright; an agent's token moves, talks and
    // perceives only for its own agent, and the refusal changes nothing.
    let app = spawn_app_with(|s| s.board.agents_post_at_board_only = false).await;
    let mine = app.create_agent("Mine", None).await;
    let theirs = app.create_agent("Theirs", None).await;
    let token = app.agent_token(mine);
    let forged = app
        .post_as(
            Some(&token),
            "/board/posts",
            &json!({"title": "t", "body": "b", "author": {"agent_id": theirs.0}}),
        )
        .await;
    assert_eq!(forged.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let before = app.pos(theirs).await;
    for (path, body) in [
        (format!("/agents/{theirs}/move"), json!({"dx": 1, "dy": 0})),
        (
            format!("/agents/{theirs}/action"),
            json!({"action": "talk", "text": "I am them"}),
        ),
    ] {
        let response = app.post_as(Some(&token), &path, &body).await;
        crate::helpers::assert_error(response, StatusCode::FORBIDDEN, "not_your_agent").await;
    }
    assert_eq!(app.pos(theirs).await, before);
    let posts: Value = app.get_json("/board/posts").await;
    assert_eq!(posts["posts"].as_array().unwrap().len(), 0);
    app.stop().await;
}
