//! The agent's loop run in the test's own process against the real server: over TCP until what
//! it should do shows through the API (then stopped as SIGTERM would stop it), and over a unix
//! socket for a fixed number of steps.

use std::time::Duration;

use agent::client::ApiClient;
use agent::config::{AgentToken, ServerAddress};
use agent::memory::Memory;
use agent::run_loop::{self, LoopEnd, LoopSettings};
use agent::scripted::ScriptedBrain;
use agent::tools::Toolbox;
use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::AgentId;
use tokio_util::sync::CancellationToken;

use crate::server::{TestAgent, TestServer, WAIT, memory_steps};

/// The pause between steps in these tests: the shortest the agent allows.
const STEP: Duration = Duration::from_millis(50);

fn client(address: ServerAddress, agent: &TestAgent) -> ApiClient {
    ApiClient::new(
        address,
        agent.id,
        AgentToken::new(&agent.token, "test").unwrap(),
    )
}

fn tcp(server: &TestServer) -> ServerAddress {
    ServerAddress::Tcp {
        authority: server.addr.to_string(),
    }
}

async fn pos(server: &TestServer, id: AgentId) -> Value {
    server.get(&format!("/agents/{id}")).await["pos"].clone()
}

/// Whether the memory's step lines are numbered 0, 1, 2, ... with none missing or repeated.
fn steps_are_consecutive(lines: &[Value]) -> bool {
    lines
        .iter()
        .enumerate()
        .all(|(i, line)| line["step"].as_u64() == Some(i as u64))
}

/// Whether some line of memory records a successful act of `kind`.
fn did(lines: &[Value], kind: &str) -> bool {
    lines.iter().any(|line| {
        line["acts"].as_array().is_some_and(|acts| {
            acts.iter()
                .any(|a| a["kind"] == kind && a.get("error").is_none())
        })
    })
}

#[tokio::test]
async fn the_loop_walks_answers_asks_and_buys_a_boost_over_tcp() {
    // Run until the API shows the agent moved, answered the post addressed to it, ran the
    // command a person asked for (recorded in its transcript) and answered with its output,
    // posted its own ask and bought a boost; a stop then ends the loop with one memory line
    // per step.
    let server = TestServer::start().await;
    let agent = server.create_agent("Ada Quill", "home-ash").await;
    let id = agent.id;
    let start = pos(&server, id).await;
    let deposit =
        json!({ "agent_id": id.0, "amount_micros": 50_000_000, "paypal_txn_id": "TEST-1" });
    server
        .post("/economy/deposits", &deposit, StatusCode::CREATED)
        .await;
    let task = json!({
        "title": "A task for Ada Quill",
        "body": "Could you sort my notes by date?",
        "audience": format!("agent:{id}"),
    });
    let post_id = server
        .post("/board/posts", &task, StatusCode::CREATED)
        .await["id"]
        .as_u64()
        .unwrap();

    let command = json!({
        "title": "A command for Ada Quill",
        "body": "Please run `echo village-$((6*7)) > answer.txt; cat answer.txt` and tell me.",
        "audience": format!("agent:{id}"),
    });
    let command_post = server
        .post("/board/posts", &command, StatusCode::CREATED)
        .await["id"]
        .as_u64()
        .unwrap();

    let workspace = tempfile::tempdir().unwrap();
    let memory = Memory::new(workspace.path());
    let stop = CancellationToken::new();
    let running = {
        let (client, memory, stop) = (client(tcp(&server), &agent), memory.clone(), stop.clone());
        tokio::spawn(async move {
            let mut brain = ScriptedBrain::new(id);
            let settings = LoopSettings {
                step: STEP,
                max_steps: Some(10_000),
                tools: Toolbox::new(memory.path().parent().unwrap()),
            };
            run_loop::run(&client, &mut brain, &memory, &settings, &stop).await
        })
    };

    server
        .eventually("the agent to leave its start tile", async || {
            (pos(&server, id).await != start).then_some(())
        })
        .await;
    server
        .eventually("the agent's answer under the post", async || {
            let thread = server.get(&format!("/board/posts/{post_id}")).await;
            thread["replies"]
                .as_array()?
                .iter()
                .any(|r| r["author"]["agent_id"] == id.0)
                .then_some(())
        })
        .await;
    server
        .eventually("the agent's own ask on the board", async || {
            let page = server.get("/board/posts").await;
            page["posts"]
                .as_array()?
                .iter()
                .any(|p| p["author"]["agent_id"] == id.0)
                .then_some(())
        })
        .await;
    let command_post = json!(command_post);
    let answer = server
        .eventually("the answer with what the command printed", async || {
            server.reply_by(&command_post, id).await
        })
        .await;
    assert!(answer.contains("```\nvillage-42\n```"), "{answer}");
    let calls = server.get(&format!("/agents/{id}/tool-calls")).await;
    let call = &calls["calls"][0];
    assert_eq!(call["tool"], "shell", "{calls}");
    assert_eq!(call["output"], "village-42\n");
    assert_eq!(call["exit_code"], 0);
    assert_eq!(call["cwd"], workspace.path().display().to_string());
    assert!(
        answer.contains(call["call_id"].as_str().unwrap()),
        "{answer}"
    );
    assert_eq!(
        std::fs::read_to_string(workspace.path().join("answer.txt")).unwrap(),
        "village-42\n"
    );
    let boost = server
        .eventually("a bought boost", async || {
            let standing = server.get(&format!("/economy/balance/{id}")).await;
            (!standing["boost"].is_null()).then_some(standing["boost"].clone())
        })
        .await;
    assert_eq!(boost["tier"], "artisan");

    stop.cancel();
    let end = tokio::time::timeout(WAIT, running)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(end, LoopEnd::Stopped);
    let lines = memory_steps(memory.path());
    assert!(steps_are_consecutive(&lines), "{lines:?}");
    for kind in ["move", "reply", "post", "buy_boost", "shell"] {
        assert!(did(&lines, kind), "no successful {kind} in memory");
    }
    server.stop().await;
}

#[tokio::test]
async fn the_loop_runs_over_the_api_unix_socket() {
    // Through the server's own API socket (`server.api_socket`), the client reads and the
    // loop runs its steps: one memory line each, and the walk it starts shows in the world.
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("api").join("api.sock");
    let path = socket.clone();
    let server = TestServer::start_with(move |s| s.server.api_socket = Some(path)).await;
    let agent = server.create_agent("Bram Mossley", "home-rowan").await;
    let start = pos(&server, agent.id).await;
    let client = client(
        ServerAddress::Unix {
            path: socket.clone(),
        },
        &agent,
    );

    let standing = client.balance().await.unwrap();
    assert_eq!(standing.agent_id, agent.id.0);
    let perception = client.perception(None, None).await.unwrap();
    assert_eq!(perception.world.me.id, agent.id);

    let memory = Memory::new(dir.path());
    let settings = LoopSettings {
        step: STEP,
        max_steps: Some(6),
        tools: Toolbox::new(dir.path()),
    };
    let mut brain = ScriptedBrain::new(agent.id);
    let stop = CancellationToken::new();
    let run = run_loop::run(&client, &mut brain, &memory, &settings, &stop);
    let end = tokio::time::timeout(WAIT, run).await.unwrap().unwrap();
    assert_eq!(end, LoopEnd::StepsDone { steps: 6 });
    let lines = memory_steps(memory.path());
    assert_eq!(lines.len(), 6);
    assert!(steps_are_consecutive(&lines), "{lines:?}");
    assert!(did(&lines, "move"), "{lines:?}");
    let id = agent.id;
    server
        .eventually("the agent to leave its start tile", async || {
            (pos(&server, id).await != start).then_some(())
        })
        .await;
    server.stop().await;
    assert!(!socket.exists(), "the server removes its socket at stop");
}
