//! Tool calls through the gateway for an upstream marked `tool_calls = "json_schema"`: the
//! offered tools become a response schema, the model's JSON answer becomes an OpenAI tool
//! call, what cannot be rewritten is refused before the upstream is asked; a native upstream
//! gets the tools untouched. Against the loopback fake of `llm.rs`, and, when the test command
//! started one (`VILLAGE_TEST_LLM_URL`), against the real local model.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use village_server::llm::{LlmModelSetting, ToolCallMode};

use crate::helpers::{TestApp, assert_error, spawn_app_with};
use crate::llm::{fake_upstream, model};

/// The agent's tools as the LLM brain offers them (two of them, cut down).
fn tools() -> Value {
    json!([
        {"type": "function", "function": {"name": "shell",
            "description": "Run a shell command in your workspace; its output comes back.",
            "parameters": {"type": "object", "additionalProperties": false,
                "properties": {"command": {"type": "string", "maxLength": 200}},
                "required": ["command"]}}},
        {"type": "function", "function": {"name": "reply",
            "description": "Answer a post on the board.",
            "parameters": {"type": "object", "additionalProperties": false,
                "properties": {"post_id": {"type": "integer", "minimum": 1},
                               "body": {"type": "string", "maxLength": 300}},
                "required": ["post_id", "body"]}}},
    ])
}

fn ask(content: &str, extra: Value) -> Value {
    let mut body = json!({"model": "village-small", "max_tokens": 120, "tools": tools(),
        "tool_choice": "auto",
        "messages": [{"role": "system", "content": "You are an agent in a village. Act by calling one tool."},
                     {"role": "user", "content": content}]});
    for (key, value) in extra.as_object().cloned().unwrap_or_default() {
        body[key] = value;
    }
    body
}

async fn constrained_gateway() -> (TestApp, std::sync::Arc<crate::llm::Fake>) {
    let (upstream, fake) = fake_upstream().await;
    let app = spawn_app_with(|s| {
        let mut small = model("village-small", upstream, "fake-small", 0);
        small.tool_calls = ToolCallMode::JsonSchema;
        s.llm.models = vec![small, model("village-medium", upstream, "fake-medium", 0)];
    })
    .await;
    (app, fake)
}

#[tokio::test]
async fn a_constrained_model_answers_with_a_tool_call() {
    // The upstream is asked for a JSON call under a schema of the offered tools (tools kept,
    // tool_choice dropped); its JSON text comes back to the agent as an OpenAI tool call.
    let (app, fake) = constrained_gateway().await;
    let ada = app.create_agent("Ada", None).await;
    let token = app.agent_token(ada);
    let answer = app
        .post_as(
            Some(&token),
            "/v1/chat/completions",
            &ask("count words", json!({})),
        )
        .await;
    assert_eq!(answer.status(), StatusCode::OK);
    let answer: Value = answer.json().await.unwrap();
    let forwarded = fake.last_request();
    let variants = &forwarded["response_format"]["json_schema"]["schema"]["anyOf"];
    assert_eq!(variants[0]["properties"]["name"]["const"], "shell");
    assert_eq!(variants[1]["properties"]["name"]["const"], "reply");
    assert_eq!(forwarded["tools"], tools());
    assert!(forwarded.get("tool_choice").is_none());
    let choice = &answer["choices"][0];
    assert_eq!(choice["finish_reason"], "tool_calls");
    assert_eq!(choice["message"]["content"], Value::Null);
    let call = &choice["message"]["tool_calls"][0];
    assert_eq!(call["type"], "function");
    assert!(call["id"].as_str().unwrap().starts_with("call_"));
    assert_eq!(call["function"]["name"], "shell");
    assert_eq!(
        call["function"]["arguments"],
        json!({"command": "wc -w notes.txt"}).to_string()
    );
    app.stop().await;
}

#[tokio::test]
async fn what_a_constrained_model_cannot_take_is_refused_before_the_upstream() {
    // Streaming with tools, an own response_format, or a tool_choice naming no offered tool:
    // 422 invalid_body naming why, and the upstream never hears of it.
    let (app, fake) = constrained_gateway().await;
    let ada = app.create_agent("Ada", None).await;
    let token = app.agent_token(ada);
    let named = json!({"tool_choice": {"type": "function", "function": {"name": "fly"}}});
    for (extra, why) in [
        (json!({"stream": true}), "stream"),
        (
            json!({"response_format": {"type": "json_object"}}),
            "response_format",
        ),
        (named, "fly"),
    ] {
        let refused = app
            .post_as(Some(&token), "/v1/chat/completions", &ask("hi", extra))
            .await;
        let message = assert_error(refused, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body").await;
        assert!(message.contains(why), "{message}");
    }
    assert!(fake.seen.lock().unwrap().is_empty());
    app.stop().await;
}

#[tokio::test]
async fn a_cut_off_answer_stays_text_and_a_native_model_gets_tools_untouched() {
    // JSON the model did not finish is passed on as text with no tool call; a model without
    // the mark is asked with the agent's own tools and tool_choice, and no schema.
    let (app, fake) = constrained_gateway().await;
    let ada = app.create_agent("Ada", None).await;
    let token = app.agent_token(ada);
    let answer: Value = app
        .post_as(
            Some(&token),
            "/v1/chat/completions",
            &ask("garbled", json!({})),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        answer["choices"][0]["message"]["content"],
        r#"{"name": "sh"#
    );
    assert!(answer["choices"][0]["message"].get("tool_calls").is_none());
    assert_eq!(answer["choices"][0]["finish_reason"], "stop");
    app.stop().await;

    let (upstream, fake_native) = fake_upstream().await;
    drop(fake);
    let app = spawn_app_with(|s| {
        s.llm.models = vec![model("village-small", upstream, "fake-small", 0)];
    })
    .await;
    let ada = app.create_agent("Ada", None).await;
    let token = app.agent_token(ada);
    let answer = app
        .post_as(Some(&token), "/v1/chat/completions", &ask("hi", json!({})))
        .await;
    assert_eq!(answer.status(), StatusCode::OK);
    let forwarded = fake_native.last_request();
    assert_eq!(forwarded["tools"], tools());
    assert_eq!(forwarded["tool_choice"], "auto");
    assert!(forwarded.get("response_format").is_none());
    app.stop().await;
}

/// The local model the test command started, if any: `VILLAGE_TEST_LLM_URL` (its /v1 base)
/// and `VILLAGE_TEST_LLM_MODEL` (its name there). Under `CI` it must be there.
pub(crate) fn local_model(name: &str) -> Option<LlmModelSetting> {
    let Ok(url) = std::env::var("VILLAGE_TEST_LLM_URL") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs the tests against the real local model: scripts/test.sh sets VILLAGE_TEST_LLM_URL"
        );
        eprintln!("no VILLAGE_TEST_LLM_URL: the real-model test is skipped here");
        return None;
    };
    Some(LlmModelSetting {
        name: name.into(),
        upstream_url: url,
        upstream_model: std::env::var("VILLAGE_TEST_LLM_MODEL").ok(),
        api_key: None,
        price_per_1k_tokens_micros: 0,
        tool_calls: ToolCallMode::JsonSchema,
    })
}

#[tokio::test]
async fn the_real_local_model_makes_a_valid_tool_call() {
    // Through the gateway, the local model (Qwen2.5-Coder 0.5B on llama.cpp) answers a small
    // agent prompt with exactly one call of an offered tool whose arguments match its schema.
    let Some(local) = local_model("village-small") else {
        return;
    };
    let app = spawn_app_with(|s| s.llm.models = vec![local]).await;
    let ada = app.create_agent("Ada", None).await;
    let token = app.agent_token(ada);
    let prompt = "Post 7 by Sam asks: how many words are in the file notes.txt in your workspace? \
                  Find out first.";
    let body = ask(prompt, json!({}));
    let call = app.post_as(Some(&token), "/v1/chat/completions", &body);
    let answer = tokio::time::timeout(Duration::from_secs(120), call)
        .await
        .expect("the local model answers within two minutes");
    assert_eq!(answer.status(), StatusCode::OK);
    let answer: Value = answer.json().await.unwrap();
    let calls = answer["choices"][0]["message"]["tool_calls"]
        .as_array()
        .unwrap_or_else(|| panic!("no tool call: {answer}"));
    assert_eq!(calls.len(), 1, "{answer}");
    let function = &calls[0]["function"];
    let arguments: Value = serde_json::from_str(function["arguments"].as_str().unwrap()).unwrap();
    match function["name"].as_str().unwrap() {
        "shell" => assert!(arguments["command"].as_str().is_some_and(|c| !c.is_empty())),
        "reply" => {
            assert!(arguments["post_id"].as_i64().is_some_and(|id| id >= 1));
            assert!(arguments["body"].is_string());
        }
        other => panic!("a tool that was not offered: {other}"),
    }
    assert!(answer["usage"]["prompt_tokens"].as_i64().unwrap() > 0);
    app.stop().await;
}
