//! The LLM gateway against a small OpenAI-compatible fake upstream on loopback: the tier's
//! models only, forwarding with the upstream's model name, metering from the upstream's
//! report (whole and streamed), charging through the ledger, the hourly token budget, funds,
//! and who may call.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::AgentId;
use village_server::economy::BalanceChange;
use village_server::llm::{LlmModelSetting, ToolCallMode};

use crate::helpers::{TestApp, WAIT, assert_error, spawn_app_with};

/// The fake upstream's state: the requests it received, and the gate a slow stream waits at.
#[derive(Default)]
pub(crate) struct Fake {
    pub(crate) seen: Mutex<Vec<Value>>,
    /// Opened by the test when a slow stream may go on past its first event.
    release: tokio::sync::Notify,
}

impl Fake {
    pub(crate) fn last_request(&self) -> Value {
        self.seen.lock().unwrap().last().cloned().unwrap()
    }
}

/// The fake: a completion with usage (prompt 12 + completion 8, 30,000 tokens in all when
/// the last message says "big", a token a byte and all of `max_tokens` for "dense…"), or an event stream ending with a usage event when asked for
/// `stream_options.include_usage`; 500 for model "fake-broken".
async fn fake_completion(
    State(fake): State<Arc<Fake>>,
    headers: axum::http::HeaderMap,
    Json(request): Json<Value>,
) -> Response {
    let mut recorded = request.clone();
    recorded["_authorization"] = json!(headers.get("authorization").and_then(|v| v.to_str().ok()));
    fake.seen.lock().unwrap().push(recorded);
    if request["model"] == "fake-broken" {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"error": {"message": "down"}})),
        )
            .into_response();
    }
    let big = request["messages"]
        .as_array()
        .and_then(|m| m.last())
        .is_some_and(|m| m["content"] == "big");
    let last = request["messages"]
        .as_array()
        .and_then(|m| m.last())
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default();
    // "dense…": a prompt of one-byte tokens (digits), all of max_tokens written.
    let dense = last.starts_with("dense");
    let (prompt, completion) = if big {
        (29_000, 1_000)
    } else if dense {
        (
            last.len() as i64,
            request["max_tokens"].as_i64().unwrap_or(0),
        )
    } else {
        (12, 8)
    };
    let usage = json!({"prompt_tokens": prompt, "completion_tokens": completion,
                       "total_tokens": prompt + completion});
    if request["stream"] == true && request["messages"][0]["content"] == "slow" {
        // The first event at once; the rest, with the usage, once the test opens the gate
        // (after its client has left).
        let usage_event = json!({"object": "chat.completion.chunk", "choices": [], "usage": usage});
        let first = "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n".to_string();
        let rest = format!(
            "data: {{\"choices\":[{{\"delta\":{{\"content\":\"lo\"}}}}]}}\n\n\
             data: {usage_event}\n\ndata: [DONE]\n\n"
        );
        let gate = fake.clone();
        let body = futures_util::stream::iter([Ok::<_, std::io::Error>(first)]).chain(
            futures_util::stream::once(async move {
                gate.release.notified().await;
                Ok(rest)
            }),
        );
        return (
            [("content-type", "text/event-stream")],
            axum::body::Body::from_stream(body),
        )
            .into_response();
    }
    if request["stream"] == true {
        let mut events = String::new();
        for word in ["Hel", "lo"] {
            let chunk = json!({"object": "chat.completion.chunk", "model": request["model"],
                               "choices": [{"index": 0, "delta": {"content": word}}]});
            events.push_str(&format!("data: {chunk}\n\n"));
        }
        if request["stream_options"]["include_usage"] == true {
            let last = json!({"object": "chat.completion.chunk", "choices": [], "usage": usage});
            events.push_str(&format!("data: {last}\n\n"));
        }
        events.push_str("data: [DONE]\n\n");
        return ([("content-type", "text/event-stream")], events).into_response();
    }
    // Under a response schema (a schema-constrained model's tools): a call of the first tool,
    // as the JSON text such a model writes; "garbled" as the last message: cut-off JSON.
    let content =
        match request["response_format"]["json_schema"]["schema"]["anyOf"][0]["properties"]["name"]
            ["const"]
            .as_str()
        {
            Some(_) if last == "garbled" => r#"{"name": "sh"#.to_string(),
            Some(tool) => {
                json!({"name": tool, "arguments": {"command": "wc -w notes.txt"}}).to_string()
            }
            None => "Hello".to_string(),
        };
    Json(
        json!({"id": "cmpl-1", "object": "chat.completion", "model": request["model"],
                "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                             "finish_reason": "stop"}],
                "usage": usage}),
    )
    .into_response()
}

pub(crate) async fn fake_upstream() -> (SocketAddr, Arc<Fake>) {
    let fake = Arc::new(Fake::default());
    let app = axum::Router::new()
        .route("/v1/chat/completions", post(fake_completion))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, fake)
}

pub(crate) fn model(
    name: &str,
    upstream: SocketAddr,
    upstream_model: &str,
    price: i64,
) -> LlmModelSetting {
    LlmModelSetting {
        name: name.into(),
        upstream_url: format!("http://{upstream}/v1"),
        upstream_model: Some(upstream_model.into()),
        api_key: Some("sk-test".into()),
        price_per_1k_tokens_micros: price,
        tool_calls: ToolCallMode::Native,
    }
}

/// A gateway serving village-small (1,000 micro-aiDollar per 1k tokens) and village-medium
/// (free) from the fake, and village-large from a broken model; no free allowance (that has
/// its tests in `llm_allowance.rs`).
async fn gateway() -> (TestApp, Arc<Fake>) {
    gateway_with_allowance(0).await
}

/// The same gateway with `free_tokens_per_hour` free on village-small.
pub(crate) async fn gateway_with_allowance(free_tokens_per_hour: i64) -> (TestApp, Arc<Fake>) {
    let (upstream, fake) = fake_upstream().await;
    let app = spawn_app_with(|s| {
        s.llm.free_tokens_per_hour = free_tokens_per_hour;
        s.llm.models = vec![
            model("village-small", upstream, "fake-small", 1_000),
            model("village-medium", upstream, "fake-medium", 0),
            model("village-large", upstream, "fake-broken", 0),
        ];
    })
    .await;
    (app, fake)
}

pub(crate) async fn fund(app: &TestApp, agent: AgentId, micros: i64, txn: &str) {
    let deposit = json!({"agent_id": agent.0, "amount_micros": micros, "paypal_txn_id": txn});
    assert_eq!(
        app.post("/economy/deposits", &deposit).await.status(),
        StatusCode::CREATED
    );
}

pub(crate) fn chat(model: &str, content: &str) -> Value {
    json!({"model": model, "messages": [{"role": "user", "content": content}]})
}

/// Waits for the ledger writer to commit an `llm_usage` charge to `agent` (the gateway
/// settles after the answer, in a task of its own); returns the agent's ledger page then.
pub(crate) async fn wait_for_charge(
    app: &TestApp,
    changes: &mut tokio::sync::broadcast::Receiver<BalanceChange>,
    agent: AgentId,
) -> Value {
    loop {
        let change = tokio::time::timeout(WAIT, changes.recv())
            .await
            .expect("a charge in time")
            .expect("the ledger is running");
        if change.agent == agent && change.code == "llm_usage" {
            return app.get_json(&format!("/economy/ledger/{agent}")).await;
        }
    }
}

#[tokio::test]
async fn a_call_is_forwarded_metered_and_charged_and_limited_to_the_tier() {
    // A seedling lists only village-small; asking for village-medium is 403 naming it; a call
    // to village-small reaches the upstream as fake-small with a max_tokens bound and the
    // upstream's key, answers under the agent's model name, and 20 tokens at 1 aiDollar-milli
    // per 1k cost 20 micros through an llm_usage transfer; the ledger verifies clean.
    let (app, fake) = gateway().await;
    let mut changes = app.ledger.subscribe();
    let ada = app.create_agent("Ada", None).await;
    fund(&app, ada, 5_000_000, "LLM-1").await;
    let token = app.agent_token(ada);
    let models = app.get_as(Some(&token), "/v1/models").await;
    let models: Value = models.json().await.unwrap();
    assert_eq!(
        models["data"],
        json!([{"id": "village-small", "object": "model", "owned_by": "village"}])
    );
    let refused = app
        .post_as(
            Some(&token),
            "/v1/chat/completions",
            &chat("village-medium", "hi"),
        )
        .await;
    let message = assert_error(refused, StatusCode::FORBIDDEN, "model_not_allowed").await;
    assert!(message.contains("allowed: village-small"), "{message}");

    let answer = app
        .post_as(
            Some(&token),
            "/v1/chat/completions",
            &chat("village-small", "hi"),
        )
        .await;
    assert_eq!(answer.status(), StatusCode::OK);
    let answer: Value = answer.json().await.unwrap();
    assert_eq!(answer["model"], "village-small");
    assert_eq!(answer["choices"][0]["message"]["content"], "Hello");
    let forwarded = fake.last_request();
    assert_eq!(forwarded["model"], "fake-small");
    assert_eq!(forwarded["max_tokens"], 1024);
    assert_eq!(forwarded["_authorization"], "Bearer sk-test");
    let page = wait_for_charge(&app, &mut changes, ada).await;
    let charge = &page["transfers"][0];
    assert_eq!(charge["code"], "llm_usage");
    assert_eq!(charge["amount_micros"], 20);
    assert_eq!(charge["debit_balance_after_micros"], 5_000_000 - 20);
    let report = app.store.verify_ledger().await.unwrap();
    assert!(report.is_clean(), "{:?}", report.problems);
    app.stop().await;
}

#[tokio::test]
async fn a_streamed_call_passes_the_events_through_and_is_metered_at_its_end() {
    // With "stream": true the agent gets the upstream's events (text/event-stream, ending in
    // [DONE]); the gateway asked the upstream for usage and charges the 20 tokens it reported.
    let (app, fake) = gateway().await;
    let mut changes = app.ledger.subscribe();
    let ada = app.create_agent("Ada", None).await;
    fund(&app, ada, 5_000_000, "LLM-2").await;
    let mut body = chat("village-small", "hi");
    body["stream"] = json!(true);
    let response = app
        .post_as(Some(&app.agent_token(ada)), "/v1/chat/completions", &body)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let text = response.text().await.unwrap();
    assert!(
        text.contains("\"Hel\"") && text.trim_end().ends_with("data: [DONE]"),
        "{text}"
    );
    assert!(
        text.contains("\"model\":\"village-small\"") && !text.contains("fake-small"),
        "every event names the village's model, never the upstream's: {text}"
    );
    let forwarded = fake.last_request();
    assert_eq!(forwarded["stream_options"]["include_usage"], true);
    let page = wait_for_charge(&app, &mut changes, ada).await;
    assert_eq!(page["transfers"][0]["amount_micros"], 20);
    app.stop().await;
}

#[tokio::test]
async fn budgets_funds_roles_and_upstream_failures_are_refused_clearly() {
    // A call that used 30,000 tokens spends a seedling's 20,000-an-hour budget: the next is
    // 429 with Retry-After; an agent with no money cannot call a priced model (402) but can a
    // free one (worker tier); an upstream failure passes its status on and charges nothing;
    // people and anonymous callers are refused.
    let (app, _) = gateway().await;
    let ada = app.create_agent("Ada", None).await;
    fund(&app, ada, 5_000_000, "LLM-3").await;
    let token = app.agent_token(ada);
    let big = app
        .post_as(
            Some(&token),
            "/v1/chat/completions",
            &chat("village-small", "big"),
        )
        .await;
    assert_eq!(big.status(), StatusCode::OK);
    let spent = app
        .post_as(
            Some(&token),
            "/v1/chat/completions",
            &chat("village-small", "hi"),
        )
        .await;
    assert!(spent.headers().contains_key("retry-after"));
    assert_error(
        spent,
        StatusCode::TOO_MANY_REQUESTS,
        "llm_token_budget_spent",
    )
    .await;

    let bob = app.create_agent("Bob", None).await;
    let bob_token = app.agent_token(bob);
    let broke = app
        .post_as(
            Some(&bob_token),
            "/v1/chat/completions",
            &chat("village-small", "hi"),
        )
        .await;
    assert_error(broke, StatusCode::PAYMENT_REQUIRED, "insufficient_funds").await;

    let cleo = app.create_agent("Cleo", None).await;
    fund(&app, cleo, 150_000_000, "LLM-4").await;
    let cleo_token = app.agent_token(cleo);
    let free = app
        .post_as(
            Some(&cleo_token),
            "/v1/chat/completions",
            &chat("village-medium", "hi"),
        )
        .await;
    assert_eq!(free.status(), StatusCode::OK);
    let failed = app
        .post_as(
            Some(&cleo_token),
            "/v1/chat/completions",
            &chat("village-large", "hi"),
        )
        .await;
    assert_eq!(failed.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let page = app.get_json(&format!("/economy/ledger/{cleo}")).await;
    assert_eq!(
        page["transfers"].as_array().unwrap().len(),
        1,
        "only the deposit"
    );

    let (_, human) = app.account("hal", "human").await;
    let response = app
        .post_as(
            Some(&human),
            "/v1/chat/completions",
            &chat("village-small", "hi"),
        )
        .await;
    assert_error(response, StatusCode::FORBIDDEN, "forbidden_role").await;
    let response = app
        .post_as(None, "/v1/chat/completions", &chat("village-small", "hi"))
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let response = app
        .post_as(
            Some(&token),
            "/v1/chat/completions",
            &json!({"messages": []}),
        )
        .await;
    assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body").await;
    app.stop().await;
}

#[tokio::test]
async fn a_client_that_leaves_a_stream_still_pays_and_calls_in_flight_share_the_balance() {
    // An agent funded for about one call starts a slow stream and leaves after its first
    // event; while it runs, a second call is 402 (the first holds the money); the gateway reads
    // the stream to its end and charges the 20 tokens it reported. Caps: max_completion_tokens
    // counts (the smaller cap is forwarded as max_tokens, n is 1) and a cap over the hour's
    // budget is cut to it.
    let (app, fake) = gateway().await;
    let mut changes = app.ledger.subscribe();
    let ada = app.create_agent("Ada", None).await;
    fund(&app, ada, 1_500, "LLM-5").await;
    let token = app.agent_token(ada);
    let mut slow = chat("village-small", "slow");
    slow["stream"] = json!(true);
    let mut response = app
        .post_as(Some(&token), "/v1/chat/completions", &slow)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let first = response.chunk().await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&first).contains("Hel"));
    let second = app
        .post_as(
            Some(&token),
            "/v1/chat/completions",
            &chat("village-small", "hi"),
        )
        .await;
    assert_error(second, StatusCode::PAYMENT_REQUIRED, "insufficient_funds").await;
    drop(response);
    fake.release.notify_one();
    let page = wait_for_charge(&app, &mut changes, ada).await;
    assert_eq!(page["transfers"][0]["amount_micros"], 20);

    let cleo = app.create_agent("Cleo", None).await;
    fund(&app, cleo, 5_000_000, "LLM-6").await;
    let cleo_token = app.agent_token(cleo);
    let mut capped = chat("village-small", "hi");
    capped["max_tokens"] = json!(5_000);
    capped["max_completion_tokens"] = json!(50);
    capped["n"] = json!(8);
    let answer = app
        .post_as(Some(&cleo_token), "/v1/chat/completions", &capped)
        .await;
    assert_eq!(answer.status(), StatusCode::OK);
    let forwarded = fake.last_request();
    assert_eq!(forwarded["max_tokens"], 50);
    assert_eq!(forwarded["n"], 1);
    assert!(forwarded.get("max_completion_tokens").is_none());
    let mut huge = chat("village-small", "hi");
    huge["max_tokens"] = json!(1_000_000);
    let answer = app
        .post_as(Some(&cleo_token), "/v1/chat/completions", &huge)
        .await;
    assert_eq!(answer.status(), StatusCode::OK);
    let forwarded = fake.last_request();
    let cut = forwarded["max_tokens"].as_i64().unwrap();
    assert!(
        cut < 20_000 && cut > 19_000,
        "cut to the hour's budget: {cut}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_prompt_of_short_tokens_is_held_at_its_worst_case_and_never_leaves_a_debt() {
    // A prompt of digits is a token a byte: held at four bytes a token, two such calls were
    // admitted and cost more than the balance (the village paid the rest). Held at its worst
    // case, the first is admitted and charged what it used, the second is 402, and nothing is
    // uncollected.
    let (app, _) = gateway().await;
    let mut changes = app.ledger.subscribe();
    let ada = app.create_agent("Ada", None).await;
    fund(&app, ada, 10_000, "LLM-7").await;
    let token = app.agent_token(ada);
    let mut dense = chat("village-small", &format!("dense {}", "7 ".repeat(3_000)));
    dense["max_tokens"] = json!(100);
    let first = app
        .post_as(Some(&token), "/v1/chat/completions", &dense)
        .await;
    assert_eq!(first.status(), StatusCode::OK);
    let page = wait_for_charge(&app, &mut changes, ada).await;
    let charged = page["transfers"][0]["amount_micros"].as_i64().unwrap();
    assert_eq!(
        charged, 6_106,
        "6,006 prompt tokens and 100 written, at 1 a token"
    );
    let second = app
        .post_as(Some(&token), "/v1/chat/completions", &dense)
        .await;
    assert_error(second, StatusCode::PAYMENT_REQUIRED, "insufficient_funds").await;
    let balance = app.get_json(&format!("/economy/balance/{ada}")).await;
    assert_eq!(balance["balance_micros"], 10_000 - 6_106);
    let metrics = app.get("/metrics").await.text().await.unwrap();
    let uncollected = metrics
        .lines()
        .find(|line| line.starts_with("village_llm_uncollected_micros"))
        .unwrap_or_default()
        .to_string();
    assert!(uncollected.ends_with(" 0"), "{uncollected}");
    app.stop().await;
}
