//! The `village-runtime` binary as an operator runs it: a settings file, the machine's engine
//! as its one node, a real server in this process. It starts the agent's container on its own,
//! serves its metrics, reports the container to the server, restarts a killed container at
//! once on the engine's event (not at its 30 s interval), and on SIGTERM exits 0 leaving the
//! container running (a new launcher adopts it).

use std::process::{Command, Stdio};

use futures_util::StreamExt;
use runtime::backend::{ContainerBackend, RunState};
use runtime::spec::container_name;

use crate::engine::{CleanUp, engine, fresh_node};
use crate::village_server::{
    ONE_VILLAGE_ON_THE_ENGINE, TestServer, Wakes, assert_no_other_village_on_the_engine, until,
};

/// A loopback port nobody listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn the_launcher_binary_runs_an_agent_serves_metrics_reports_and_stops_cleanly() {
    // Each outcome is read from outside: the engine, the metrics endpoint, the server.
    let node = fresh_node("launcher");
    let Some(backend) = engine(&node).await else {
        return;
    };
    let _one_village = ONE_VILLAGE_ON_THE_ENGINE.lock().await;
    assert_no_other_village_on_the_engine(&node);
    let dir = tempfile::tempdir().unwrap();
    let (server, socket_dir) = TestServer::start_for_containers(dir.path(), |_| {}).await;
    let password = server.account("launcher", "runtime").await;
    let agent = server.create_agent("Cleo Marsh", "home-ash").await.id;
    let _clean = CleanUp(vec![agent]);
    let metrics_port = free_port();
    let config = dir.path().join("runtime.toml");
    std::fs::write(
        &config,
        format!(
            r#"
            [server]
            url = "{url}"
            username = "launcher"
            [reconcile]
            interval_ms = 30000
            report_every_passes = 1
            [image]
            repository = "aivillage-agent-test"
            agent_binary = "{agent_binary}"
            [launch]
            api_socket_dir = "{socket_dir}"
            step_ms = 200
            [metrics]
            bind = "127.0.0.1:{metrics_port}"
            [[nodes]]
            name = "{node}"
            endpoint = "unix:///var/run/docker.sock"
            cpu_millicores = 8000
            memory_mib = 16384
            "#,
            url = server.url(),
            agent_binary = crate::village_server::agent_binary().display(),
            socket_dir = socket_dir.display(),
        ),
    )
    .unwrap();
    let mut launcher = Command::new(env!("CARGO_BIN_EXE_village-runtime"))
        .arg("--config")
        .arg(&config)
        // The password from the environment, as the docs advise, not the file.
        .env("VILLAGE_RUNTIME__SERVER__PASSWORD", &password)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();

    let name = container_name(agent);
    // Engine state: checked at each of the engine's container events, and at the server's
    // ticks in case an event came before the stream was read.
    let engine_or_ticks = || -> Wakes {
        let events = backend.changes().map(|_| ());
        futures_util::stream::select(events, server.ticks()).boxed()
    };
    until(
        "the launcher to start the agent's container",
        engine_or_ticks(),
        async || {
            let found = backend.inspect(&name).await.unwrap()?;
            (found.info.state == RunState::Running).then_some(())
        },
    )
    .await;
    let metrics_url = format!("http://127.0.0.1:{metrics_port}/metrics");
    let running = format!("village_runtime_containers{{node=\"{node}\",state=\"running\"}} 1");
    server
        .eventually("the metrics to count the running container", async || {
            let text = reqwest::get(&metrics_url).await.ok()?.text().await.ok()?;
            (text.contains(&running) && text.contains("village_runtime_reconcile_duration_seconds"))
                .then_some(())
        })
        .await;
    server
        .eventually("the agent to act through the socket", async || {
            (server.get(&format!("/agents/{agent}")).await["status"] == "online").then_some(())
        })
        .await;
    server
        .eventually("the container report to reach the server", async || {
            let view = server.get(&format!("/admin/agents/{agent}/control")).await;
            (view["container_report"]["report"]["node"] == node.as_str()).then_some(())
        })
        .await;

    // A container killed from outside is back long before the 30 s interval: the engine's
    // event woke the launcher.
    let first_run = backend.inspect(&name).await.unwrap().unwrap().started_at;
    let killed = Command::new("docker")
        .args(["kill", &name])
        .output()
        .unwrap();
    assert!(killed.status.success());
    let died = std::time::Instant::now();
    let started_at = until(
        "the killed container to run again",
        engine_or_ticks(),
        async || {
            let found = backend.inspect(&name).await.unwrap()?;
            (found.info.state == RunState::Running && found.started_at != first_run)
                .then_some(found.started_at)
        },
    )
    .await;
    assert!(
        died.elapsed() < std::time::Duration::from_secs(10),
        "restarted only after {:?}",
        died.elapsed()
    );

    let term = Command::new("kill")
        .args(["-TERM", &launcher.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let exited = tokio::task::spawn_blocking(move || launcher.wait().unwrap())
        .await
        .unwrap();
    assert!(exited.success(), "{exited:?}");
    let after = backend.inspect(&name).await.unwrap().unwrap();
    assert_eq!(after.info.state, RunState::Running, "left running");
    assert_eq!(after.started_at, started_at);
    server.stop().await;
}
