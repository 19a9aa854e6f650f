//! P5: how long an agent takes from "created" to its first authenticated act in the world,
//! started by the runtime, against a plain `docker run` of the same image with the same
//! mounts, measured in the same run; and 20 agents started by one pass.
//!
//! Both paths end the same way: the agent's first move makes it `online` (the first write
//! with its token, right after its first perception). The runtime path starts when
//! `POST /admin/agents` has answered and runs one reconcile pass at once (the launcher's
//! interval adds up to `reconcile.interval_ms` on top: no event hint is implemented); it
//! covers reading the desired state, a fresh token, create, writing the token file, start and
//! the hardening inspection. The baseline starts just before `docker run` and hands the token
//! in the environment.
//! Goals: runtime median ≤ 1.5 × the baseline median; 20 agents all online ≤ 5 s.
//!
//! Run: `cargo build --release -p village-agent && cargo bench -p village-runtime --bench p5_start` (needs a Docker engine).
//! `VILLAGE_BENCH_QUICK=1` shrinks it to a smoke run (CI runs that in the test profile).

#![allow(clippy::unwrap_used)]

#[allow(dead_code)]
#[path = "../../server/benches/support/report.rs"]
mod report;

#[allow(dead_code)]
#[path = "../tests/support/village_server.rs"]
mod test_server;

use std::process::Command;
use std::time::{Duration, Instant};

use report::verdict;
use runtime::desired::desired_agents;
use runtime::reconcile::Reconciler;
use runtime::spec::{API_SOCKET_DIR, container_name, workspace_volume};
use shared::AgentId;
use test_server::TestServer;

const NODE: &str = "bench-p5";
/// The agents' step pause: short, so the first act follows the first perception at once.
const STEP_MS: &str = "50";

struct Plan {
    rounds: usize,
    crowd: usize,
}

fn plan() -> Plan {
    if std::env::var_os("VILLAGE_BENCH_QUICK").is_some() {
        Plan {
            rounds: 1,
            crowd: 3,
        }
    } else {
        Plan {
            rounds: 7,
            crowd: 20,
        }
    }
}

/// Removes the containers and volumes of the agents made, whatever happens.
struct CleanUp(Vec<AgentId>);

impl Drop for CleanUp {
    fn drop(&mut self) {
        for agent in &self.0 {
            let _ = Command::new("docker")
                .args(["rm", "-f", &container_name(*agent)])
                .output();
            let _ = Command::new("docker")
                .args(["rm", "-f", &format!("p5-baseline-{agent}")])
                .output();
            let _ = Command::new("docker")
                .args(["volume", "rm", "-f", &workspace_volume(*agent)])
                .output();
        }
    }
}

async fn online(server: &TestServer, agent: AgentId) -> bool {
    server.get(&format!("/agents/{agent}")).await["status"] == "online"
}

/// Waits until every agent is online; returns when the last one was seen so.
async fn all_online(server: &TestServer, agents: &[AgentId]) -> Instant {
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut waiting: Vec<AgentId> = agents.to_vec();
    while !waiting.is_empty() {
        assert!(
            Instant::now() < deadline,
            "agents never came online: {waiting:?}"
        );
        let mut still = Vec::new();
        for agent in waiting {
            if !online(server, agent).await {
                still.push(agent);
            }
        }
        waiting = still;
        if !waiting.is_empty() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    Instant::now()
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

#[tokio::main]
async fn main() {
    let Some(backend) = test_server::bench_engine("P5", NODE).await else {
        return;
    };
    let plan = plan();
    test_server::assert_no_other_village_on_the_engine(NODE);
    let dir = tempfile::tempdir().unwrap();
    let (server, socket_dir) = TestServer::start_for_containers(dir.path(), |_| {}).await;
    let link = server.runtime_link().await;
    let env = [("VILLAGE_STEP_MS", STEP_MS)];
    let (launch, _) =
        test_server::agent_launch(&backend, "aivillage-agent-bench", &socket_dir, &env).await;
    let image = launch.image.clone();
    let server_url = format!("unix:{API_SOCKET_DIR}/api.sock");
    let mut launcher = Reconciler::new(vec![(backend, test_server::BENCH_CAPACITY)], launch)
        .with_tokens(link.clone());
    let mut made = CleanUp(Vec::new());
    let mut baseline = Vec::new();
    let mut runtime = Vec::new();
    let mut names = 0;
    let mut next_name = || {
        names += 1;
        format!("P5 Agent {names}")
    };

    for _ in 0..plan.rounds {
        // Baseline: a plain docker run with the token in the environment.
        let agent = server.create_agent(&next_name(), "home-ash").await;
        made.0.push(agent.id);
        let started = Instant::now();
        let run = Command::new("docker")
            .args(["run", "-d", "--name", &format!("p5-baseline-{}", agent.id)])
            .args(["--network", "none", "--init"])
            .args([
                "--mount",
                &format!(
                    "type=bind,src={},dst={API_SOCKET_DIR},readonly",
                    socket_dir.display()
                ),
            ])
            .args(["-e", &format!("VILLAGE_SERVER_URL={server_url}")])
            .args(["-e", &format!("VILLAGE_AGENT_ID={}", agent.id)])
            .args(["-e", &format!("VILLAGE_AGENT_TOKEN={}", agent.token)])
            .args(["-e", &format!("VILLAGE_STEP_MS={STEP_MS}")])
            .args(["-e", "VILLAGE_WORKSPACE=/tmp"])
            .arg(&image)
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        baseline.push(all_online(&server, &[agent.id]).await - started);
        // Only the runtime's containers from here on: the baseline agent leaves the village.
        Command::new("docker")
            .args(["rm", "-f", &format!("p5-baseline-{}", agent.id)])
            .output()
            .unwrap();
        let order = serde_json::json!({"action": "stop", "reason": "baseline done"});
        let path = format!("/admin/agents/{}/control", agent.id);
        server.post(&path, &order, reqwest::StatusCode::OK).await;

        // The runtime: created, then one pass.
        let agent = server.create_agent(&next_name(), "home-rowan").await;
        made.0.push(agent.id);
        let started = Instant::now();
        let desired = desired_agents(&link.desired().await.unwrap().agents);
        let report = launcher.pass(&desired, Instant::now()).await;
        assert!(report.failed.is_empty(), "{:?}", report.failed);
        runtime.push(all_online(&server, &[agent.id]).await - started);
    }

    // A crowd created at once, placed by one pass.
    let mut crowd = Vec::new();
    for _ in 0..plan.crowd {
        let agent = server.create_agent(&next_name(), "home-ash").await;
        made.0.push(agent.id);
        crowd.push(agent.id);
    }
    let started = Instant::now();
    let desired = desired_agents(&link.desired().await.unwrap().agents);
    let report = launcher.pass(&desired, Instant::now()).await;
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    let pass_took = started.elapsed();
    let crowd_took = all_online(&server, &crowd).await - started;

    let (base, ours) = (median(baseline.clone()), median(runtime.clone()));
    let ratio = ours.as_secs_f64() / base.as_secs_f64();
    println!("P5 agent start, {} rounds (median of each):", plan.rounds);
    println!(
        "  plain docker run -> first act: {:>7.0} ms  {baseline:?}",
        base.as_secs_f64() * 1e3
    );
    println!(
        "  runtime pass     -> first act: {:>7.0} ms  {runtime:?}",
        ours.as_secs_f64() * 1e3
    );
    println!(
        "  ratio runtime / docker run: {ratio:.2} (goal <= 1.5): {}",
        verdict(ratio <= 1.5)
    );
    println!(
        "P5 {} agents at once: one pass {:.0} ms, all online after {:.0} ms (goal <= 5000 ms): {}",
        plan.crowd,
        pass_took.as_secs_f64() * 1e3,
        crowd_took.as_secs_f64() * 1e3,
        verdict(crowd_took <= Duration::from_secs(5))
    );
    server.stop().await;
}
