//! The LLM brain in the real loop against the real server, whose gateway forwards to a fake
//! OpenAI-compatible upstream on loopback (the only mock: there is no model here). The fake
//! answers with tool calls chosen from the prompt it receives, or fails on purpose.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use agent::client::ApiClient;
use agent::config::{AgentToken, ServerAddress};
use agent::llm_brain::{COMPLETION_TOKENS_MAX, LlmBrain};
use agent::memory::Memory;
use agent::run_loop::{self, LoopEnd, LoopSettings};
use agent::tools::Toolbox;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use village_server::llm::LlmModelSetting;

use crate::server::{TestAgent, TestServer, WAIT, memory_steps};

/// The pause between steps: the shortest the agent allows.
const STEP: Duration = Duration::from_millis(50);
/// The model's name at the fake upstream; agents ask for `village-small`.
const UPSTREAM_MODEL: &str = "fake-small";
/// The upstream's name for `village-medium`, which the `worker` tier adds.
const UPSTREAM_MEDIUM: &str = "fake-medium";
/// The question the fake has the agent post, with the source the model gave.
const TITLE: &str = "Where can I learn Rust?";
const BODY: &str =
    "I want to learn Rust. The book looks good (source: https://doc.rust-lang.org/book/).";

/// How the fake answers.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Tool calls: to the cafe and work there; once released, to the board and post once.
    Errand,
    /// In turn: a 500, JSON that is no completion, tool calls that cannot be used.
    Broken,
    /// A shell call first; once its result is back in the same turn, a line saying it.
    Worker,
}

/// The command the `Worker` model runs.
const COMMAND: &str = "echo $((2+3)) > five.txt; cat five.txt";

struct Fake {
    mode: Mode,
    /// Set by the test once it has seen the agent at the cafe.
    released: AtomicBool,
    calls: AtomicUsize,
    seen: Mutex<Vec<Value>>,
}

fn tool_call(name: &str, arguments: Value) -> Value {
    json!({"id": "call-1", "type": "function",
           "function": {"name": name, "arguments": arguments.to_string()}})
}

fn completion(tool_calls: Vec<Value>) -> Response {
    Json(json!({
        "id": "cmpl-1", "object": "chat.completion", "model": UPSTREAM_MODEL,
        "choices": [{"index": 0, "finish_reason": "tool_calls",
                     "message": {"role": "assistant", "content": null, "tool_calls": tool_calls}}],
        "usage": {"prompt_tokens": 30, "completion_tokens": 10, "total_tokens": 40}
    }))
    .into_response()
}

/// What the fake model does, read from the prompt the agent wrote.
fn errand(prompt: &str, released: bool) -> Vec<Value> {
    let on = |key: &str| prompt.contains(&format!("on the landmark `{key}`"));
    if prompt.contains("walking to `") {
        return vec![tool_call("idle", json!({}))];
    }
    if !released {
        return vec![if on("cafe") {
            tool_call("work", json!({"detail": "drinking tea"}))
        } else {
            tool_call("move_to", json!({"landmark": "cafe"}))
        }];
    }
    if !on("board") {
        vec![tool_call("move_to", json!({"landmark": "board"}))]
    } else if prompt.contains(&format!("post \"{TITLE}\": done")) {
        vec![tool_call("idle", json!({}))]
    } else {
        let post = json!({"title": TITLE, "body": BODY, "tags": ["rust"]});
        vec![tool_call("post", post)]
    }
}

async fn fake_completion(State(fake): State<Arc<Fake>>, Json(request): Json<Value>) -> Response {
    fake.seen.lock().unwrap().push(request.clone());
    let call = fake.calls.fetch_add(1, Ordering::SeqCst);
    if fake.mode == Mode::Broken {
        return match call % 3 {
            0 => (StatusCode::INTERNAL_SERVER_ERROR, "upstream exploded").into_response(),
            1 => Json(json!({"choices": "not a list"})).into_response(),
            _ => completion(vec![
                tool_call("fly", json!({"to": "moon"})),
                json!({"type": "function", "function": {"name": "move_to", "arguments": "{oops"}}),
            ]),
        };
    }
    if fake.mode == Mode::Worker {
        let messages = request["messages"].as_array().cloned().unwrap_or_default();
        let result = messages
            .iter()
            .find(|m| m["role"] == "tool")
            .and_then(|m| m["content"].as_str().map(str::to_string));
        return match result {
            None => completion(vec![json!({"id": "call-sh", "type": "function",
                "function": {"name": "shell", "arguments": json!({"command": COMMAND}).to_string()}})]),
            Some(result) if result.ends_with("\n5\n") => completion(vec![tool_call(
                "talk",
                json!({"text": "The shell says 5."}),
            )]),
            Some(_) => completion(vec![tool_call("idle", json!({}))]),
        };
    }
    let prompt = request["messages"][1]["content"]
        .as_str()
        .unwrap_or_default();
    completion(errand(prompt, fake.released.load(Ordering::SeqCst)))
}

async fn fake_upstream(mode: Mode) -> (SocketAddr, Arc<Fake>) {
    let fake = Arc::new(Fake {
        mode,
        released: AtomicBool::new(false),
        calls: AtomicUsize::new(0),
        seen: Mutex::new(Vec::new()),
    });
    let app = axum::Router::new()
        .route("/v1/chat/completions", post(fake_completion))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, fake)
}

/// A server whose gateway serves `village-small` and `village-medium` (free) from the fake,
/// and one agent.
async fn village(mode: Mode) -> (TestServer, TestAgent, Arc<Fake>) {
    let (upstream, fake) = fake_upstream(mode).await;
    let server = TestServer::start_with(move |s| {
        let model = |name: &str, upstream_model: &str| LlmModelSetting {
            name: name.into(),
            upstream_url: format!("http://{upstream}/v1"),
            upstream_model: Some(upstream_model.into()),
            api_key: None,
            price_per_1k_tokens_micros: 0,
            tool_calls: Default::default(),
        };
        s.llm.models = vec![
            model("village-small", UPSTREAM_MODEL),
            model("village-medium", UPSTREAM_MEDIUM),
        ];
    })
    .await;
    let agent = server.create_agent("Ada Quill", "home-ash").await;
    (server, agent, fake)
}

fn client(server: &TestServer, agent: &TestAgent) -> ApiClient {
    let address = ServerAddress::Tcp {
        authority: server.addr.to_string(),
    };
    ApiClient::new(
        address,
        agent.id,
        AgentToken::new(&agent.token, "test").unwrap(),
    )
}

/// The acts of each memory line, as (kind, error code).
fn acts_of(lines: &[Value]) -> Vec<Vec<(String, Option<String>)>> {
    let text = |v: &Value| v.as_str().map(str::to_string);
    lines
        .iter()
        .map(|line| {
            line["acts"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|a| (text(&a["kind"]).unwrap_or_default(), text(&a["error"])))
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn the_model_follows_the_tier_a_deposit_raises() {
    // With no model preferred, a seedling's step asks for the one model its tier lists; once a
    // deposit lifts it to `worker`, which adds `village-medium`, the next step asks for that;
    // lifted to `artisan`, whose `village-large` the gateway does not serve, it steps back.
    let (server, agent, fake) = village(Mode::Errand).await;
    let workspace = tempfile::tempdir().unwrap();
    let memory = Memory::new(workspace.path());
    let client = client(&server, &agent);
    let settings = LoopSettings {
        step: STEP,
        max_steps: Some(1),
        tools: Toolbox::new(workspace.path()),
    };
    let mut brain = LlmBrain::new(agent.id)
        .with_pause_min(Duration::ZERO)
        .with_life_interval(Duration::ZERO);
    let stop = CancellationToken::new();
    let asked = |fake: &Fake| fake.seen.lock().unwrap().last().unwrap()["model"].clone();

    run_loop::run(&client, &mut brain, &memory, &settings, &stop)
        .await
        .unwrap();
    assert_eq!(asked(&fake), UPSTREAM_MODEL);
    assert_eq!(brain.model(), "village-small");
    let deposit =
        json!({ "agent_id": agent.id.0, "amount_micros": 10_000_000, "paypal_txn_id": "TEST-M" });
    server
        .post("/economy/deposits", &deposit, StatusCode::CREATED)
        .await;
    run_loop::run(&client, &mut brain, &memory, &settings, &stop)
        .await
        .unwrap();
    assert_eq!(brain.model(), "village-medium");
    assert_eq!(asked(&fake), UPSTREAM_MEDIUM);

    // 100 aiD: `artisan` adds `village-large`, which this gateway does not serve. The step
    // that asks for it is refused (503 model_unavailable), and the next asks for the next best.
    let deposit =
        json!({ "agent_id": agent.id.0, "amount_micros": 90_000_000, "paypal_txn_id": "TEST-L" });
    server
        .post("/economy/deposits", &deposit, StatusCode::CREATED)
        .await;
    let calls = fake.calls.load(Ordering::SeqCst);
    let two = LoopSettings {
        max_steps: Some(2),
        ..settings
    };
    run_loop::run(&client, &mut brain, &memory, &two, &stop)
        .await
        .unwrap();
    assert_eq!(
        fake.calls.load(Ordering::SeqCst),
        calls + 1,
        "only the second step reached it"
    );
    assert_eq!(brain.model(), "village-medium");
    assert_eq!(asked(&fake), UPSTREAM_MEDIUM);
    server.stop().await;
}

#[tokio::test]
async fn the_llm_brain_walks_to_the_cafe_and_posts_the_models_question() {
    // The model's tool calls, through the gateway, take the agent to the cafe (seen in the
    // world) and then to the board, where its question is posted with the model's source; the
    // upstream received the tools, a bounded completion and its own model name.
    let (server, agent, fake) = village(Mode::Errand).await;
    let id = agent.id;
    let workspace = tempfile::tempdir().unwrap();
    let memory = Memory::new(workspace.path());
    let stop = CancellationToken::new();
    let running = {
        let (client, memory, stop) = (client(&server, &agent), memory.clone(), stop.clone());
        tokio::spawn(async move {
            let mut brain = LlmBrain::new(id)
                .with_model("village-small")
                .with_life_interval(Duration::ZERO);
            let settings = LoopSettings {
                step: STEP,
                max_steps: Some(10_000),
                tools: Toolbox::new(memory.path().parent().unwrap()),
            };
            run_loop::run(&client, &mut brain, &memory, &settings, &stop).await
        })
    };

    server
        .eventually("the agent working at the cafe", async || {
            let me = server.get(&format!("/agents/{id}")).await;
            let activity = &me["activity"];
            (activity["kind"] == "working" && activity["landmark"] == "cafe").then_some(())
        })
        .await;
    fake.released.store(true, Ordering::SeqCst);
    let post = server
        .eventually("the agent's question on the board", async || {
            let page = server.get("/board/posts").await;
            page["posts"]
                .as_array()?
                .iter()
                .find(|p| p["author"]["agent_id"] == id.0)
                .cloned()
        })
        .await;
    assert_eq!(
        (post["title"].as_str(), post["body"].as_str()),
        (Some(TITLE), Some(BODY))
    );
    assert_eq!(post["tags"], json!(["rust"]));

    stop.cancel();
    let end = tokio::time::timeout(WAIT, running).await.unwrap().unwrap();
    assert_eq!(end.unwrap(), LoopEnd::Stopped);
    let first = fake.seen.lock().unwrap()[0].clone();
    assert_eq!(first["model"], UPSTREAM_MODEL);
    assert_eq!(first["max_tokens"], COMPLETION_TOKENS_MAX);
    let tools: Vec<&str> = first["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["function"]["name"].as_str())
        .collect();
    let names = [
        "move_to",
        "talk",
        "work",
        "post",
        "reply",
        "buy_boost",
        "idle",
    ];
    assert_eq!(tools, names);
    let system = first["messages"][0]["content"].as_str().unwrap();
    assert!(system.contains("Ada Quill") && system.contains("Likes the library."));
    let acts = acts_of(&memory_steps(memory.path()));
    let called = |kind: &str| acts.iter().flatten().any(|(k, e)| k == kind && e.is_none());
    assert!(called("llm") && called("move") && called("work") && called("post"));
    assert!(
        !acts
            .iter()
            .flatten()
            .any(|(k, e)| k == "llm" && e.is_some())
    );
    server.stop().await;
}

#[tokio::test]
async fn a_failing_gateway_leaves_the_loop_to_the_scripted_brain_and_is_remembered() {
    // A 500, an answer that is no completion and tool calls that cannot be used are each
    // remembered as failed acts; the scripted brain decides those steps and the agent walks.
    let (server, agent, fake) = village(Mode::Broken).await;
    let id = agent.id;
    let start = server.get(&format!("/agents/{id}")).await["pos"].clone();
    let workspace = tempfile::tempdir().unwrap();
    let memory = Memory::new(workspace.path());
    let settings = LoopSettings {
        step: STEP,
        max_steps: Some(6),
        tools: Toolbox::new(workspace.path()),
    };
    // No pause between failed calls, so each step asks the gateway again.
    let mut brain = LlmBrain::new(id)
        .with_life_interval(Duration::ZERO)
        .with_model("village-small")
        .with_pause_min(Duration::ZERO);
    let client = client(&server, &agent);
    let stop = CancellationToken::new();
    let run = run_loop::run(&client, &mut brain, &memory, &settings, &stop);
    let end = tokio::time::timeout(WAIT, run).await.unwrap().unwrap();
    assert_eq!(end, LoopEnd::StepsDone { steps: 6 });
    assert_eq!(fake.calls.load(Ordering::SeqCst), 6);

    let lines = memory_steps(memory.path());
    assert_eq!(lines.len(), 6);
    let acts = acts_of(&lines);
    let failed = |kind: &str, code: &str| (kind.to_string(), Some(code.to_string()));
    // The gateway passes the upstream's 500 on; JSON that is no completion cannot be decoded.
    assert_eq!(acts[0][0], failed("llm", "http_500"));
    assert_eq!(acts[1][0], failed("llm", "decode"));
    assert_eq!(
        acts[2][..3],
        [
            ("llm".to_string(), None),
            failed("llm_tool", "unknown_tool"),
            failed("move_to", "invalid_arguments")
        ]
    );
    assert_eq!(acts[3][0], failed("llm", "http_500"));
    // The failed steps still acted: the scripted brain's walk shows in the world.
    let walked = [0, 1, 3, 4]
        .iter()
        .any(|&i| acts[i].iter().any(|(k, e)| k == "move" && e.is_none()));
    assert!(walked, "{lines:?}");
    server
        .eventually("the agent to leave its start tile", async || {
            let pos = server.get(&format!("/agents/{id}")).await["pos"].clone();
            (pos != start).then_some(())
        })
        .await;
    server.stop().await;
}

#[tokio::test]
async fn the_model_runs_a_command_and_reads_its_recorded_result_in_the_same_turn() {
    // One step: the model calls the shell; the command runs in the workspace and is recorded
    // in the agent's transcript; the model gets its answer back as a `tool` message naming the
    // call, and acts on it in the same step.
    let (server, agent, fake) = village(Mode::Worker).await;
    let id = agent.id;
    let workspace = tempfile::tempdir().unwrap();
    let memory = Memory::new(workspace.path());
    let settings = LoopSettings {
        step: STEP,
        max_steps: Some(1),
        tools: Toolbox::new(workspace.path()),
    };
    let tools = Toolbox::new(workspace.path());
    let mut brain = LlmBrain::new(id)
        .with_life_interval(Duration::ZERO)
        .with_model("village-small")
        .with_tools(tools);
    let client = client(&server, &agent);
    let stop = CancellationToken::new();
    let run = run_loop::run(&client, &mut brain, &memory, &settings, &stop);
    let end = tokio::time::timeout(WAIT, run).await.unwrap().unwrap();
    assert_eq!(end, LoopEnd::StepsDone { steps: 1 });
    assert_eq!(fake.calls.load(Ordering::SeqCst), 2);

    let seen = fake.seen.lock().unwrap().clone();
    let offered: Vec<&str> = seen[0]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["function"]["name"].as_str())
        .collect();
    assert!(
        offered.contains(&"shell") && offered.contains(&"write_file"),
        "{offered:?}"
    );
    let messages = seen[1]["messages"].as_array().unwrap();
    assert_eq!(messages[2]["role"], "assistant");
    assert_eq!(messages[2]["tool_calls"][0]["id"], "call-sh");
    assert_eq!(messages[3]["role"], "tool");
    assert_eq!(messages[3]["tool_call_id"], "call-sh");
    let answer = messages[3]["content"].as_str().unwrap();
    assert_eq!(answer, "ok, exit code 0. Output:\n5\n");

    let calls = server.get(&format!("/agents/{id}/tool-calls")).await;
    let call = &calls["calls"][0];
    assert_eq!(call["input"], COMMAND, "{calls}");
    assert_eq!(call["output"], "5\n");
    assert_eq!(
        std::fs::read_to_string(workspace.path().join("five.txt")).unwrap(),
        "5\n"
    );
    let acts = acts_of(&memory_steps(memory.path()));
    let kinds: Vec<(&str, bool)> = acts[0]
        .iter()
        .map(|(k, e)| (k.as_str(), e.is_none()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("llm", true),
            ("shell", true),
            ("llm", true),
            ("talk", true)
        ]
    );
    server.stop().await;
}
