//! The runtime's routes: the desired state of every agent container, and fresh tokens for the
//! containers it starts.

use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::runtime::AgentBrain;

use crate::helpers::{assert_error, spawn_app};

#[tokio::test]
async fn the_runtime_sees_every_agent_with_an_account_with_its_tier_and_wanted_state() {
    // Agents made with an account are listed (demo residents without one are not), running
    // unless revoked, with the tier in force and its container limits.
    let app = spawn_app().await;
    let (_, runtime) = app.account("launcher", "runtime").await;
    let first = app.create_agent("Ada", None).await;
    let second = app.create_agent("Bo", None).await;
    let revoked = app
        .post(&format!("/admin/agents/{second}/revoke"), &json!({}))
        .await;
    assert_eq!(revoked.status(), StatusCode::OK);

    let response = app.get_as(Some(&runtime), "/runtime/agents").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let agents = body["agents"].as_array().unwrap();
    assert_eq!(agents.len(), 2, "{body}");
    assert_eq!(agents[0]["id"], first.0);
    assert_eq!(agents[0]["want"], "running");
    assert_eq!(agents[0]["revoked"], false);
    assert_eq!(agents[0]["tier"], "seedling");
    assert_eq!(agents[0]["entitlements"]["cpu_millicores"], 500);
    assert_eq!(agents[0]["entitlements"]["memory_mib"], 512);
    assert_eq!(agents[1]["id"], second.0);
    assert_eq!(agents[1]["want"], "stopped");
    assert_eq!(agents[1]["revoked"], true);
    app.stop().await;
}

#[tokio::test]
async fn a_runtime_token_replaces_the_old_one_and_is_refused_for_a_revoked_agent() {
    // The new token acts for the agent and the old one no longer does; a revoked agent gets
    // no token, and its token stays revoked; an unknown agent is a 404.
    let app = spawn_app().await;
    let (_, runtime) = app.account("launcher", "runtime").await;
    let agent = app.create_agent("Ada", None).await;
    let old = app.agent_token(agent);
    let perception = format!("/agents/{agent}/perception");

    let response = app
        .post_as(
            Some(&runtime),
            &format!("/runtime/agents/{agent}/token"),
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let fresh = body["token"].as_str().unwrap().to_string();
    assert_ne!(fresh, old);
    assert_eq!(
        app.door_get_as(Some(&fresh), &perception).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get_as(Some(&old), &perception).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let audit = app
        .get_json("/admin/audit?action=runtime.agent_token_issue")
        .await;
    assert_eq!(audit["entries"].as_array().unwrap().len(), 1, "{audit}");

    let revoked = app
        .post(&format!("/admin/agents/{agent}/revoke"), &json!({}))
        .await;
    assert_eq!(revoked.status(), StatusCode::OK);
    let refused = app
        .post_as(
            Some(&runtime),
            &format!("/runtime/agents/{agent}/token"),
            &json!({}),
        )
        .await;
    assert_error(refused, StatusCode::CONFLICT, "agent_revoked").await;
    assert_error(
        app.door_get_as(Some(&fresh), &perception).await,
        StatusCode::UNAUTHORIZED,
        "bad_token",
    )
    .await;
    let unknown = app
        .post_as(Some(&runtime), "/runtime/agents/999999/token", &json!({}))
        .await;
    assert_error(unknown, StatusCode::NOT_FOUND, "unknown_agent").await;
    app.stop().await;
}

#[tokio::test]
async fn the_first_demo_residents_are_given_to_the_runtime_once() {
    // With `demo.container_agents`, the first residents by id get accounts (audited), so the
    // runtime lists them and can get their tokens, and since the gateway serves a model they
    // decide with the LLM brain; asking again gives no one a second account or another brain.
    let app = crate::helpers::spawn_app_with(|settings| {
        settings.demo.agents = 4;
        settings.demo.container_agents = 2;
        settings.llm.models = vec![village_server::llm::LlmModelSetting {
            name: "village-small".into(),
            upstream_url: "http://127.0.0.1:9/v1".into(),
            upstream_model: None,
            api_key: None,
            price_per_1k_tokens_micros: 0,
            tool_calls: village_server::llm::ToolCallMode::JsonSchema,
        }];
    })
    .await;
    let (_, runtime) = app.account("launcher", "runtime").await;
    let listing = app.get_as(Some(&runtime), "/runtime/agents").await;
    let body: Value = listing.json().await.unwrap();
    let ids: Vec<u64> = body["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|agent| agent["id"].as_u64().unwrap())
        .collect();
    let world = app.get_json("/agents").await;
    let first: Vec<u64> = world
        .as_array()
        .unwrap()
        .iter()
        .take(2)
        .map(|agent| agent["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, first, "{body}");
    for agent in body["agents"].as_array().unwrap() {
        assert_eq!(agent["brain"], "llm", "{body}");
    }
    let fresh = app
        .post_as(
            Some(&runtime),
            &format!("/runtime/agents/{}/token", ids[0]),
            &json!({}),
        )
        .await;
    assert_eq!(fresh.status(), StatusCode::OK);
    village_server::demo::ensure_contained(&app.store, 2, AgentBrain::Scripted)
        .await
        .unwrap();
    let again: Value = app
        .get_as(Some(&runtime), "/runtime/agents")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["agents"][0]["brain"], "llm", "{again}");
    let audit = app
        .get_json("/admin/audit?action=demo.container_agent")
        .await;
    assert_eq!(audit["entries"].as_array().unwrap().len(), 2, "{audit}");
    app.stop().await;
}

#[tokio::test]
async fn container_reports_show_in_the_agents_control_view_and_bad_batches_change_nothing() {
    // A report is kept as the agent's latest and shown with the kill switch's view; reports of
    // unknown agents are dropped and named; an overlong field or too many reports is a 422
    // that keeps nothing.
    let app = spawn_app().await;
    let (_, runtime) = app.account("launcher", "runtime").await;
    let agent = app.create_agent("Ada", None).await;
    let report = |node: &str, state: &str| {
        json!({"agent": agent.0, "node": node, "state": state, "restarts": 2,
               "exit_code": 137, "oom_killed": true, "memory_bytes": 1048576,
               "cpu_millicores": 250})
    };
    let unknown = json!({"agent": 999999, "node": "sparky1", "state": "running", "restarts": 0,
                         "exit_code": null, "oom_killed": false, "memory_bytes": null,
                         "cpu_millicores": null});
    let batch = json!({"reports": [report("sparky1", "exited"), unknown]});
    let response = app
        .post_as(Some(&runtime), "/runtime/reports", &batch)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let taken: Value = response.json().await.unwrap();
    assert_eq!(taken["accepted"], 1);
    assert_eq!(taken["unknown"], json!([999999]));
    let view = app
        .get_json(&format!("/admin/agents/{agent}/control"))
        .await;
    let seen = &view["container_report"]["report"];
    assert_eq!(seen["node"], "sparky1");
    assert_eq!(seen["state"], "exited");
    assert_eq!(seen["restarts"], 2);
    assert_eq!(seen["oom_killed"], true);
    assert!(view["container_report"]["received_at_ms"].as_i64().unwrap() > 0);

    let long = json!({"reports": [report(&"n".repeat(65), "running")]});
    let refused = app.post_as(Some(&runtime), "/runtime/reports", &long).await;
    assert_error(refused, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    let many: Vec<Value> = (0..51).map(|_| report("sparky2", "running")).collect();
    let refused = app
        .post_as(
            Some(&runtime),
            "/runtime/reports",
            &json!({ "reports": many }),
        )
        .await;
    assert_error(
        refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "too_many_reports",
    )
    .await;
    let view = app
        .get_json(&format!("/admin/agents/{agent}/control"))
        .await;
    assert_eq!(view["container_report"]["report"]["node"], "sparky1");
    app.stop().await;
}

#[tokio::test]
async fn an_agents_brain_is_chosen_at_creation_and_listed_for_the_runtime() {
    // `brain` is stored with the agent (llm when not given) and listed for the runtime;
    // an unknown brain is refused and creates nothing.
    let app = spawn_app().await;
    let thinker = json!({"display_name": "Thinker", "brain": "scripted"});
    let created = app.post("/admin/agents", &thinker).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let plain = app.create_agent("Plain", None).await;
    let bad = json!({"display_name": "Oracle", "brain": "oracle"});
    let refused = app.post("/admin/agents", &bad).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let listing = app.get_json("/runtime/agents").await;
    let agents = listing["agents"].as_array().unwrap();
    assert_eq!(agents.len(), 2, "{listing}");
    assert_eq!(agents[0]["brain"], "scripted");
    assert_eq!(agents[1]["id"], plain.0);
    assert_eq!(agents[1]["brain"], "llm");
    app.stop().await;
}
