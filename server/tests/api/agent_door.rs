//! The agent door (the API socket mounted into agent containers) against a real server:
//! nothing arriving there can sign up, sign in or reach a person's, staff or service route, so
//! an agent cannot make puppet people to reward itself; and the tokens the runtime fetches for
//! containers work only there, so the runtime's account cannot act as an agent.

use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::AgentId;

use crate::helpers::{ADMIN_PASSWORD, ADMIN_USER, TestApp, assert_error, spawn_app_with};

async fn app_with_board_anywhere() -> TestApp {
    spawn_app_with(|s| s.board.agents_post_at_board_only = false).await
}

fn post_body(title: &str) -> Value {
    json!({"title": title, "body": "Could someone check my numbers?"})
}

/// A fresh container token for `agent`, fetched by the runtime's account.
async fn container_token(app: &TestApp, runtime: &str, agent: AgentId) -> String {
    let response = app
        .post_as(
            Some(runtime),
            &format!("/runtime/agents/{agent}/token"),
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    body["token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn nothing_over_the_agent_socket_can_sign_up_sign_in_or_reach_people_routes() {
    // The self-minting attack from inside a container stops at its first step: registering
    // and signing in are not served on the socket (404, no account made), anonymous requests
    // are 401, people's and the runtime's tokens are 403, and person, staff and service routes
    // are not there; the agent's own token works as on TCP.
    let app = app_with_board_anywhere().await;
    let agent = app.create_agent("Ada", None).await;
    let token = app.agent_token(agent);
    let (_, runtime) = app.account("launcher", "runtime").await;
    let (_, human) = app.account("hal", "human").await;

    let puppet = json!({"username": "puppet-1", "password": "a long password"});
    let refused = app.door_post_as(None, "/auth/register", &puppet).await;
    assert_error(refused, StatusCode::NOT_FOUND, "not_at_the_agent_door").await;
    let found = app
        .store
        .find_account_by_username("puppet-1")
        .await
        .unwrap();
    assert!(found.is_none(), "no account was made");
    let login = json!({"username": ADMIN_USER, "password": ADMIN_PASSWORD});
    let refused = app.door_post_as(None, "/auth/login", &login).await;
    assert_error(refused, StatusCode::NOT_FOUND, "not_at_the_agent_door").await;
    for path in [
        "/economy/reward",
        "/economy/penalize",
        "/economy/deposits",
        "/admin/accounts",
        "/runtime/reports",
        "/auth/refresh",
    ] {
        let refused = app.door_post_as(Some(&token), path, &json!({})).await;
        assert_error(refused, StatusCode::NOT_FOUND, "not_at_the_agent_door").await;
    }
    for path in [
        "/runtime/agents",
        "/runtime/changes",
        "/admin/audit",
        "/moderation/queue",
        "/town",
        "/metrics",
    ] {
        let refused = app.door_get_as(Some(&token), path).await;
        assert_eq!(refused.status(), StatusCode::NOT_FOUND, "{path}");
    }

    let anonymous = app.door_get_as(None, "/board/posts").await;
    assert_error(anonymous, StatusCode::UNAUTHORIZED, "missing_token").await;
    for jwt in [&app.admin_token, &runtime, &human] {
        let refused = app.door_get_as(Some(jwt), "/board/posts").await;
        assert_error(refused, StatusCode::FORBIDDEN, "agents_only").await;
        let refused = app
            .door_post_as(Some(jwt), "/board/posts", &post_body("as a person"))
            .await;
        assert_error(refused, StatusCode::FORBIDDEN, "agents_only").await;
    }

    let perception = app
        .door_get_as(Some(&token), &format!("/agents/{agent}/perception"))
        .await;
    assert_eq!(perception.status(), StatusCode::OK);
    let posted = app
        .door_post_as(
            Some(&token),
            "/board/posts",
            &post_body("from my container"),
        )
        .await;
    assert_eq!(posted.status(), StatusCode::CREATED);
    let healthz = app.door_get_as(None, "/healthz").await;
    assert_eq!(healthz.status(), StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn a_container_token_works_only_through_the_agent_door() {
    // The token the runtime fetches for a container is refused on the public listener (401
    // naming the binding) on every route an agent uses, so the runtime's account cannot post,
    // buy compute, call the LLM, report tool calls or read private perception as the agent;
    // through the socket it acts as the agent. An admin-issued token still works on TCP.
    let app = app_with_board_anywhere().await;
    let agent = app.create_agent("Ada", None).await;
    let admin_issued = app.agent_token(agent);
    let (_, runtime) = app.account("launcher", "runtime").await;
    let token = container_token(&app, &runtime, agent).await;
    assert!(token.starts_with("avc_"), "{token}");

    let perception = format!("/agents/{agent}/perception");
    let refused = app.get_as(Some(&token), &perception).await;
    assert_error(
        refused,
        StatusCode::UNAUTHORIZED,
        "token_bound_to_agent_door",
    )
    .await;
    let tool_call = json!({"call_id": "c-1", "tool": "shell", "input": "true", "cwd": "/workspace",
        "outcome": "ok", "exit_code": 0, "duration_ms": 3, "output": "", "output_bytes": 0});
    let writes = [
        ("/board/posts".to_string(), post_body("as the runtime")),
        (
            "/economy/purchase".to_string(),
            json!({"transfer_id": "buy-1", "tier": "worker", "hours": 1}),
        ),
        (
            "/v1/chat/completions".to_string(),
            json!({"model": "village-small", "messages": [{"role": "user", "content": "hi"}]}),
        ),
        (format!("/agents/{agent}/tool-calls"), tool_call.clone()),
        (
            format!("/agents/{agent}/move"),
            json!({"landmark": "plaza"}),
        ),
    ];
    for (path, body) in &writes {
        let refused = app.post_as(Some(&token), path, body).await;
        assert_error(
            refused,
            StatusCode::UNAUTHORIZED,
            "token_bound_to_agent_door",
        )
        .await;
    }
    // The runtime's own token is not an agent's either.
    for (path, body) in &writes[..2] {
        let refused = app.post_as(Some(&runtime), path, body).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let board: Value = app.get_json("/board/posts").await;
    assert!(board["posts"].as_array().unwrap().is_empty(), "{board}");

    assert_eq!(
        app.door_get_as(Some(&token), &perception).await.status(),
        StatusCode::OK
    );
    let posted = app
        .door_post_as(
            Some(&token),
            "/board/posts",
            &post_body("from my container"),
        )
        .await;
    assert_eq!(posted.status(), StatusCode::CREATED);
    let reported = app
        .door_post_as(
            Some(&token),
            &format!("/agents/{agent}/tool-calls"),
            &tool_call,
        )
        .await;
    assert_eq!(reported.status(), StatusCode::CREATED);
    // Fetching the container token replaced the admin-issued one.
    assert_eq!(
        app.get_as(Some(&admin_issued), &perception).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let reissued = app
        .post(&format!("/admin/agents/{agent}/token"), &json!({}))
        .await;
    let reissued: Value = reissued.json().await.unwrap();
    let reissued = reissued["token"].as_str().unwrap();
    assert!(reissued.starts_with("avt_"), "{reissued}");
    assert_eq!(
        app.get_as(Some(reissued), &perception).await.status(),
        StatusCode::OK
    );
    app.stop().await;
}
