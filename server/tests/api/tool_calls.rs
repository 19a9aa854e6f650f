//! Agents' tool calls: a report is recorded with its audit entry before the answer, a retry is
//! recorded once, bad reports change nothing, a tier without tools is refused, and the
//! transcript pages newest first.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Db, TestApp, assert_error, roomy_tiers_file, spawn_app_on, spawn_app_with};

fn report(call_id: &str, input: &str) -> Value {
    json!({
        "call_id": call_id, "tool": "shell", "input": input, "cwd": "/workspace",
        "outcome": "ok", "exit_code": 0, "duration_ms": 12,
        "output": "Linux\n", "output_bytes": 6
    })
}

async fn send(app: &TestApp, token: &str, agent: u64, body: &Value) -> reqwest::Response {
    app.post_as(Some(token), &format!("/agents/{agent}/tool-calls"), body)
        .await
}

async fn transcript(app: &TestApp, token: &str, agent: u64, query: &str) -> Value {
    let response = app
        .get_as(Some(token), &format!("/agents/{agent}/tool-calls{query}"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn tool_audit(app: &TestApp, agent: u64) -> Vec<Value> {
    let page = app
        .get_json(&format!(
            "/admin/audit?action=agent.tool_call&target=agent:{agent}"
        ))
        .await;
    page["entries"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_report_is_recorded_and_audited_and_a_retry_only_once() {
    // The first report is 201 with an audit entry; the same report again answers the same id
    // as a replay and adds nothing; the same id for another call is 409 and adds nothing.
    recorded_once(Db::Sqlite).await;
}

#[tokio::test]
async fn reports_are_recorded_once_on_postgresql_too() {
    // The same on a server whose store is PostgreSQL.
    if let Some(db) = Db::postgres() {
        recorded_once(db).await;
    }
}

async fn recorded_once(db: Db) {
    let app = spawn_app_on(db, |_| {}).await;
    let agent = app.create_agent("Ada", None).await;
    let token = app.agent_token(agent);
    let first = send(&app, &token, agent.0, &report("a1-s4-0", "uname -s")).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["replayed"], false);

    let again = send(&app, &token, agent.0, &report("a1-s4-0", "uname -s")).await;
    assert_eq!(again.status(), StatusCode::OK);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again, json!({"id": first["id"], "replayed": true}));

    let reused = send(&app, &token, agent.0, &report("a1-s4-0", "rm -rf /")).await;
    assert_error(reused, StatusCode::CONFLICT, "call_id_reused").await;

    let page = transcript(&app, &token, agent.0, "").await;
    let calls = page["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 1, "{page}");
    assert_eq!(calls[0]["input"], "uname -s");
    assert_eq!(calls[0]["output"], "Linux\n");
    assert_eq!(calls[0]["exit_code"], 0);
    assert_eq!(calls[0]["agent_id"], agent.0);
    let audit = tool_audit(&app, agent.0).await;
    assert_eq!(audit.len(), 1, "{audit:?}");
    let detail = audit[0]["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("shell a1-s4-0: ok exit 0 in 12 ms"),
        "{detail}"
    );
    assert!(detail.ends_with("uname -s"), "{detail}");
    assert_eq!(audit[0]["actor_role"], "agent");
    app.stop().await;
}

#[tokio::test]
async fn bad_reports_are_refused_and_change_nothing() {
    // Each malformed report is a 422 naming the problem, and neither the transcript nor the
    // audit log grows.
    let app = spawn_app_with(|_| {}).await;
    let agent = app.create_agent("Ada", None).await;
    let token = app.agent_token(agent);
    let with = |key: &str, value: Value| {
        let mut body = report("bad-1", "ls");
        body[key] = value;
        body
    };
    let cases = [
        (with("call_id", json!("")), "call_id"),
        (with("call_id", json!("a b")), "call_id"),
        (with("call_id", json!("x".repeat(65))), "call_id"),
        (with("input", json!("  ")), "input"),
        (with("input", json!("y".repeat(2_001))), "input"),
        (with("cwd", json!("c".repeat(257))), "cwd"),
        (with("output", json!("o".repeat(4_001))), "output"),
        (with("output", json!("a\u{0}b")), "NUL"),
        (with("duration_ms", json!(86_400_001u64)), "duration_ms"),
    ];
    let audit_before = app.store.count_audit().await.unwrap();
    for (body, named) in cases {
        let response = send(&app, &token, agent.0, &body).await;
        let message =
            assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
        assert!(message.contains(named), "{named}: {message}");
    }
    for body in [with("tool", json!("exec")), with("extra", json!(1))] {
        let response = send(&app, &token, agent.0, &body).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}"
        );
    }
    assert_eq!(app.store.count_audit().await.unwrap(), audit_before);
    let page = transcript(&app, &token, agent.0, "").await;
    assert_eq!(page["calls"], json!([]));
    app.stop().await;
}

#[tokio::test]
async fn a_tier_without_tool_runs_is_refused_and_the_call_still_recorded() {
    // With the first tier allowing no tool runs, the agent's report is a 403; the call, which
    // has run, is recorded all the same, its audit entry denied.
    let dir = tempfile::tempdir().unwrap();
    let tiers = std::fs::read_to_string(roomy_tiers_file()).unwrap();
    let no_tools = tiers.replacen("concurrent_tool_runs = 1", "concurrent_tool_runs = 0", 1);
    assert_ne!(
        no_tools, tiers,
        "the roomy tiers' first tier allows one tool run"
    );
    let path = dir.path().join("tiers.toml");
    std::fs::write(&path, no_tools).unwrap();
    let app = spawn_app_with(|s| s.economy.tiers_file = Some(path)).await;
    let agent = app.create_agent("Ada", None).await;
    let token = app.agent_token(agent);
    let response = send(&app, &token, agent.0, &report("t-1", "ls")).await;
    assert_error(response, StatusCode::FORBIDDEN, "tools_not_allowed").await;
    let page = transcript(&app, &token, agent.0, "").await;
    assert_eq!(page["calls"][0]["input"], "ls", "{page}");
    let audit = tool_audit(&app, agent.0).await;
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0]["outcome"], "denied");
    app.stop().await;
}

#[tokio::test]
async fn the_transcript_pages_newest_first_and_is_each_agents_own() {
    // Three calls come back newest first two at a time; another agent sees none of them and
    // cannot read this agent's transcript.
    let app = spawn_app_with(|_| {}).await;
    let agent = app.create_agent("Ada", None).await;
    let other = app.create_agent("Bo", None).await;
    let token = app.agent_token(agent);
    for n in 0..3 {
        let response = send(
            &app,
            &token,
            agent.0,
            &report(&format!("c{n}"), &format!("echo {n}")),
        )
        .await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    let first = transcript(&app, &app.admin_token, agent.0, "?limit=2").await;
    let inputs: Vec<&str> = first["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["input"].as_str().unwrap())
        .collect();
    assert_eq!(inputs, ["echo 2", "echo 1"]);
    let cursor = first["next_cursor"].as_u64().unwrap();
    let second = transcript(
        &app,
        &app.admin_token,
        agent.0,
        &format!("?limit=2&cursor={cursor}"),
    )
    .await;
    assert_eq!(second["calls"].as_array().unwrap().len(), 1);
    assert_eq!(second["calls"][0]["input"], "echo 0");
    assert_eq!(second["next_cursor"], Value::Null);

    let other_token = app.agent_token(other);
    assert_eq!(
        transcript(&app, &other_token, other.0, "").await["calls"],
        json!([])
    );
    let peek = app
        .get_as(Some(&other_token), &format!("/agents/{agent}/tool-calls"))
        .await;
    assert_error(peek, StatusCode::FORBIDDEN, "not_your_agent").await;
    let forged = send(&app, &other_token, agent.0, &report("forged", "id")).await;
    assert_error(forged, StatusCode::FORBIDDEN, "not_your_agent").await;
    app.stop().await;
}
