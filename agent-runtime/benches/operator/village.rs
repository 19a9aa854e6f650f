//! The operator benchmark's village: its agents (made through the admin API with a brain and
//! the bench's tier), the gateway's models, and waiting for the agents to live. The server is
//! the runtime tests' `TestServer`; `engine::CleanUp` removes the containers and volumes.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use reqwest::StatusCode;
use runtime::spec::container_name;
use serde_json::json;
use shared::AgentId;
use tokio::time::Instant;
use village_server::llm::{LlmModelSetting, ToolCallMode};

use crate::api::Api;
use crate::test_server::TestServer;

/// Each agent's deposit: the `artisan` tier (100 aiD), with room to spare.
const DEPOSIT_MICROS: i64 = 110_000_000;

/// An agent thinking with `brain`, with the bench's tier.
pub async fn make_agent(server: &TestServer, api: &Api, name: &str, brain: &str) -> AgentId {
    let body = json!({"display_name": name, "home": "home-ash", "brain": brain,
                      "persona": "Careful and helpful; checks the results of its work."});
    let created = server
        .post("/admin/agents", &body, StatusCode::CREATED)
        .await;
    let agent = AgentId(created["agent_id"].as_u64().unwrap());
    let deposit = json!({"agent_id": agent.0, "amount_micros": DEPOSIT_MICROS,
                         "paypal_txn_id": format!("bench-operator-{agent}"), "memo": "operator bench"});
    api.admin_post("/economy/deposits", &deposit).await.unwrap();
    agent
}

/// Every model name a tier lists, served by the model at `url` (through the proxy).
pub fn gateway_models(url: &str, upstream_model: Option<String>) -> Vec<LlmModelSetting> {
    ["village-small", "village-medium", "village-large"]
        .iter()
        .map(|name| LlmModelSetting {
            name: (*name).into(),
            upstream_url: url.to_string(),
            upstream_model: upstream_model.clone(),
            api_key: None,
            price_per_1k_tokens_micros: 0,
            tool_calls: ToolCallMode::JsonSchema,
        })
        .collect()
}

/// Waits until every agent is online (its first act in the world), at most `limit`; says on
/// stderr which were not.
pub async fn all_online(api: &Api, agents: &[AgentId], limit: Duration) {
    let deadline = Instant::now() + limit;
    for agent in agents {
        loop {
            let detail = api.admin_read(&format!("/agents/{agent}")).await.unwrap();
            if detail["status"] == "online" {
                break;
            }
            if Instant::now() >= deadline {
                eprintln!(
                    "agent {agent} is not online after {limit:?}: {}",
                    detail["status"]
                );
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// Writes each agent's container log (what it decided, its tool calls, its failed calls) and
/// its task book to `VILLAGE_BENCH_LOG_DIR` (default: `operator-bench-logs` in the temp
/// folder) before the containers go, and says where; the figures say what happened, the logs
/// why.
pub fn save_logs(agents: &[(String, AgentId)]) {
    let dir = std::env::var_os("VILLAGE_BENCH_LOG_DIR").map_or_else(
        || std::env::temp_dir().join("operator-bench-logs"),
        PathBuf::from,
    );
    if let Err(error) = std::fs::create_dir_all(&dir) {
        eprintln!("no log folder {}: {error}", dir.display());
        return;
    }
    for (label, agent) in agents {
        let Ok(output) = Command::new("docker")
            .args(["logs", &container_name(*agent)])
            .output()
        else {
            continue;
        };
        let mut text = output.stdout;
        text.extend_from_slice(&output.stderr);
        let path = dir.join(format!("{label}.log"));
        if let Err(error) = std::fs::write(&path, text) {
            eprintln!("{}: {error}", path.display());
        }
        // The task book: each task's commands with their results and the answers sent.
        if let Ok(book) = Command::new("docker")
            .args([
                "exec",
                &container_name(*agent),
                "/bin/sh",
                "-c",
                "cat /workspace/tasks.json",
            ])
            .output()
        {
            let path = dir.join(format!("{label}.tasks.json"));
            if let Err(error) = std::fs::write(&path, book.stdout) {
                eprintln!("{}: {error}", path.display());
            }
        }
    }
    println!(
        "A1 the agents' container logs and task books: {}",
        dir.display()
    );
}
