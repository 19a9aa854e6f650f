//! The `village-agent` binary as a container runs it: settings from the environment only (the
//! token from a file), stopped by SIGTERM, and refused by the server once its token is revoked.

use std::path::Path;
use std::process::Stdio;

use agent::run_loop::EXIT_DENIED;
use tokio::process::{Child, Command};

use crate::server::{TestAgent, TestServer, WAIT, memory_steps};

/// Starts the binary for `agent` with its token in a file and its memory in `workspace`.
fn spawn_agent(server: &TestServer, agent: &TestAgent, workspace: &Path, stderr: Stdio) -> Child {
    spawn_agent_at(&server.url(), agent, workspace, stderr)
}

/// [`spawn_agent`] with the server at `url` (`http://...`, or `unix:` and a socket's path).
pub fn spawn_agent_at(url: &str, agent: &TestAgent, workspace: &Path, stderr: Stdio) -> Child {
    let token_file = workspace.join("token");
    std::fs::write(&token_file, format!("{}\n", agent.token)).unwrap();
    Command::new(crate::server::agent_binary())
        // Only what the container would set: nothing leaks in from the test's environment.
        .env_clear()
        .env("VILLAGE_SERVER_URL", url)
        .env("VILLAGE_AGENT_ID", agent.id.0.to_string())
        .env("VILLAGE_AGENT_TOKEN_FILE", &token_file)
        .env("VILLAGE_WORKSPACE", workspace)
        .env("VILLAGE_STEP_MS", "50")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

/// Waits until the agent has remembered at least `steps` steps (it acts on `server`).
pub async fn wait_for_steps(server: &TestServer, workspace: &Path, steps: usize) {
    let memory = workspace.join("memory.jsonl");
    server
        .eventually("the agent's steps in memory", async || {
            (memory_steps(&memory).len() >= steps).then_some(())
        })
        .await;
}

#[tokio::test]
async fn sigterm_stops_the_agent_after_its_step_with_exit_code_0() {
    // A running agent sent SIGTERM finishes the step under way, exits 0, and its memory has
    // whole, consecutive step lines.
    let server = TestServer::start().await;
    let agent = server.create_agent("Cleo Fenn", "home-willow").await;
    let workspace = tempfile::tempdir().unwrap();
    let mut child = spawn_agent(&server, &agent, workspace.path(), Stdio::inherit());
    wait_for_steps(&server, workspace.path(), 3).await;

    let pid = child.id().unwrap().to_string();
    // `kill` from procps: std and tokio can send only SIGKILL, and this crate forbids unsafe.
    let sent = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .unwrap();
    assert!(sent.success(), "kill -TERM {pid} failed");
    let status = tokio::time::timeout(WAIT, child.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.code(), Some(0), "{status}");
    let lines = memory_steps(&workspace.path().join("memory.jsonl"));
    assert!(lines.len() >= 3);
    assert!(
        lines
            .iter()
            .enumerate()
            .all(|(i, line)| line["step"].as_u64() == Some(i as u64)),
        "{lines:?}"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_revoked_token_ends_the_agent_with_the_denied_exit_code() {
    // Once an admin revokes the agent's token, its next request gets 401 and the process exits
    // with EXIT_DENIED, saying why, and remembers the refusal.
    let server = TestServer::start().await;
    let agent = server.create_agent("Dov Hale", "home-birch").await;
    let workspace = tempfile::tempdir().unwrap();
    let child = spawn_agent(&server, &agent, workspace.path(), Stdio::piped());
    wait_for_steps(&server, workspace.path(), 2).await;

    server.revoke(agent.id).await;
    let output = tokio::time::timeout(WAIT, child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(i32::from(EXIT_DENIED)),
        "{}",
        output.status
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("refused") && stderr.contains("bad_token"),
        "{stderr}"
    );
    assert!(!stderr.contains(&agent.token), "the token was logged");
    let lines = memory_steps(&workspace.path().join("memory.jsonl"));
    let last = lines.last().unwrap().to_string();
    assert!(last.contains("bad_token"), "{last}");
    server.stop().await;
}

#[tokio::test]
async fn bad_settings_exit_with_the_config_code_naming_the_variable() {
    // With no server address set, the binary exits 78 (EX_CONFIG) and says which variable.
    let output = Command::new(crate::server::agent_binary())
        .env_clear()
        .env("VILLAGE_AGENT_ID", "1")
        .env("VILLAGE_AGENT_TOKEN", "avt_x")
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(78), "{}", output.status);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("VILLAGE_SERVER_URL"), "{stderr}");
}
