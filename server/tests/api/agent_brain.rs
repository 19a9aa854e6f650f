//! Switching an agent's brain: a new agent thinks with the LLM brain unless told otherwise, an
//! admin switches it (audited, shown on the agent's detail and in the runtime's listing), and
//! every other caller or a bad request is refused without a change.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{assert_error, spawn_app};

#[tokio::test]
async fn an_admin_switches_a_brain_and_everyone_sees_it() {
    // New agents get `llm`; a switch to `scripted` answers the brain before, is audited once
    // (a repeat changes nothing), and shows on GET /agents/{id} and in /runtime/agents.
    let app = spawn_app().await;
    let ada = app.create_agent("Ada", None).await;
    let detail = app.get_json(&format!("/agents/{ada}")).await;
    assert_eq!(detail["brain"], "llm");
    assert_eq!(detail["last_llm_call"], Value::Null);
    let path = format!("/admin/agents/{ada}/brain");
    let body = json!({"brain": "scripted"});
    for _ in 0..2 {
        let switched = app.put_as(Some(&app.admin_token), &path, &body).await;
        assert_eq!(switched.status(), StatusCode::OK);
        let switched: Value = switched.json().await.unwrap();
        assert_eq!(switched["brain"], "scripted");
        assert_eq!(switched["agent_id"], ada.0);
    }
    let detail = app.get_json(&format!("/agents/{ada}")).await;
    assert_eq!(detail["brain"], "scripted");
    let audit = app.get_json("/admin/audit?action=admin.agent_brain").await;
    let entries = audit["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{audit}");
    assert_eq!(entries[0]["detail"], "llm -> scripted");
    let (_, runtime) = app.account("launcher", "runtime").await;
    let listing: Value = app
        .get_as(Some(&runtime), "/runtime/agents")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listing["agents"][0]["brain"], "scripted", "{listing}");
    app.stop().await;
}

#[tokio::test]
async fn a_switch_by_anyone_else_or_a_bad_one_changes_nothing() {
    // A person, a moderator or the agent itself: 403; an unknown agent: 404; a brain that is
    // not one, or an extra field: 422. The brain stays `llm` and nothing is audited.
    let app = spawn_app().await;
    let ada = app.create_agent("Ada", None).await;
    let path = format!("/admin/agents/{ada}/brain");
    let body = json!({"brain": "scripted"});
    let (_, human) = app.account("sam", "human").await;
    let (_, moderator) = app.account("moder", "moderator").await;
    for token in [human, moderator, app.agent_token(ada)] {
        let refused = app.put_as(Some(&token), &path, &body).await;
        assert_error(refused, StatusCode::FORBIDDEN, "forbidden_role").await;
    }
    let unknown = app
        .put_as(Some(&app.admin_token), "/admin/agents/999999/brain", &body)
        .await;
    assert_error(unknown, StatusCode::NOT_FOUND, "unknown_agent").await;
    for bad in [
        json!({"brain": "genius"}),
        json!({"brain": "llm", "model": "x"}),
        json!({}),
    ] {
        let refused = app.put_as(Some(&app.admin_token), &path, &bad).await;
        assert_error(refused, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body").await;
    }
    let detail = app.get_json(&format!("/agents/{ada}")).await;
    assert_eq!(detail["brain"], "llm");
    let audit = app.get_json("/admin/audit?action=admin.agent_brain").await;
    assert!(audit["entries"].as_array().unwrap().is_empty(), "{audit}");
    app.stop().await;
}
