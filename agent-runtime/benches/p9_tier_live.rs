//! P9: how long a reward takes to reach the agent's container: from sending the reward (whose
//! answer comes once its transfer is committed) to `docker inspect` showing the new tier's CPU
//! limit, over 20 rounds, with the launcher woken by the server's changes
//! (`GET /runtime/changes`) against the same launcher polling only (its 2 s interval),
//! measured in the same run. Each round
//! rewards the agent from the first tier into the second (10 aiDollar) and then penalizes it
//! back (timed too), then waits 0.3–2.3 s (a fixed pseudo-random sequence), so changes land
//! at every point of the launcher's interval; the launcher is the real daemon loop
//! (`launcher::daemon`).
//! Goals: woken median ≤ 200 ms and p99 ≤ 500 ms.
//!
//! Run: `cargo build --release -p village-agent && cargo bench -p village-runtime --bench p9_tier_live` (needs a Docker engine).
//! `VILLAGE_BENCH_QUICK=1` shrinks it to a smoke run (CI runs that in the test profile).

#![allow(clippy::unwrap_used)]

#[allow(dead_code)]
#[path = "../../server/benches/support/report.rs"]
mod report;

#[allow(dead_code)]
#[path = "../tests/support/village_server.rs"]
mod test_server;

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use report::{ms, percentile, verdict};
use reqwest::StatusCode;
use runtime::backend::ContainerBackend;
use runtime::backend::docker::DockerBackend;
use runtime::launcher::daemon::Daemon;
use runtime::launcher::metrics::RuntimeMetrics;
use runtime::launcher::reports::Reporter;
use runtime::launcher::server_link::ServerLink;
use runtime::launcher::server_watch::poll_wait;
use runtime::reconcile::{Launch, Reconciler};
use runtime::spec::{container_name, workspace_volume};
use serde_json::json;
use shared::AgentId;
use test_server::TestServer;
use tokio_util::sync::CancellationToken;

const NODE: &str = "bench-p9";
/// The launcher's interval, as shipped (`reconcile.interval_ms`).
const INTERVAL: Duration = Duration::from_secs(2);
/// CPU limits of the first two tiers (`tests/support/cpu_only_tiers.toml`), in nano-CPUs.
const SEEDLING_NANO_CPUS: i64 = 500_000_000;
const WORKER_NANO_CPUS: i64 = 1_000_000_000;
/// 10 aiDollar: from the first tier's threshold (0) to the second's.
const STEP_MICROS: i64 = 10_000_000;

fn rounds() -> usize {
    if std::env::var_os("VILLAGE_BENCH_QUICK").is_some() {
        2
    } else {
        20
    }
}

/// Removes the agent's container and volume whatever happens.
struct CleanUp(AgentId);

impl Drop for CleanUp {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .args(["rm", "-f", &container_name(self.0)])
            .output();
        let _ = Command::new("docker")
            .args(["volume", "rm", "-f", &workspace_volume(self.0)])
            .output();
    }
}

/// A running launcher loop, stopped on drop.
struct Running(CancellationToken);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

/// Starts the real launcher loop; `woken`: it follows the server's changes too.
fn start_daemon(
    backend: &DockerBackend,
    launch: &Launch,
    recipe: &runtime::image::ImageRecipe,
    link: &Arc<ServerLink>,
    woken: bool,
) -> Running {
    let daemon = Daemon {
        reconciler: Reconciler::new(
            vec![(backend.clone(), test_server::BENCH_CAPACITY)],
            launch.clone(),
        )
        .with_tokens(link.clone()),
        link: link.clone(),
        metrics: Arc::new(RuntimeMetrics::new()),
        image_nodes: vec![backend.clone()],
        recipe: recipe.clone(),
        interval: INTERVAL,
        report_every: 1_000,
        reporter: Reporter::default(),
        server_wait: woken.then(|| poll_wait(Duration::from_secs(10))),
        egress: None,
    };
    let stop = CancellationToken::new();
    tokio::spawn(daemon.run(stop.clone()));
    Running(stop)
}

/// Waits until the agent's container has `nano_cpus`; how long that took from `from`.
async fn until_cpu(backend: &DockerBackend, agent: AgentId, nano_cpus: i64, from: Instant) -> u64 {
    let deadline = from + Duration::from_secs(20);
    loop {
        let found = backend.inspect(&container_name(agent)).await.unwrap();
        if found.is_some_and(|details| details.nano_cpus == nano_cpus) {
            return u64::try_from(from.elapsed().as_micros()).unwrap();
        }
        assert!(
            Instant::now() < deadline,
            "the CPU limit never became {nano_cpus}"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// `rounds` rewards into the second tier and penalties back; microseconds to the container.
async fn measure(
    server: &TestServer,
    backend: &DockerBackend,
    agent: AgentId,
    post: u64,
    phase: &str,
) -> (Vec<u64>, Vec<u64>) {
    let (mut up, mut down) = (Vec::new(), Vec::new());
    let mut pauses: u64 = 0x9E37_79B9;
    for round in 0..rounds() {
        for (kind, target, into) in [
            ("reward", WORKER_NANO_CPUS, &mut up),
            ("penalize", SEEDLING_NANO_CPUS, &mut down),
        ] {
            let path = format!("/economy/{kind}");
            let body = json!({"transfer_id": format!("{phase}-{kind}-{round}"),
                "agent_id": agent.0, "amount_micros": STEP_MICROS, "reason": "P9",
                "post_id": post});
            // From the request, so the figure covers the commit whatever order the answer
            // and the launcher's wake-up take.
            let sent = Instant::now();
            server.post(&path, &body, StatusCode::CREATED).await;
            into.push(until_cpu(backend, agent, target, sent).await);
            // A pause of 0.3 to 2.3 s, so each change lands at another point of the launcher's
            // 2 s interval and after the engine events of the last update have passed.
            pauses = pauses
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            tokio::time::sleep(Duration::from_millis(300 + (pauses >> 33) % 2_000)).await;
        }
    }
    (up, down)
}

fn line(label: &str, samples: &[u64]) -> String {
    format!(
        "{label}: median {:>6.0} ms, p99 {:>6.0} ms, max {:>6.0} ms over {}",
        ms(percentile(samples, 50.0)),
        ms(percentile(samples, 99.0)),
        ms(percentile(samples, 100.0)),
        samples.len()
    )
}

#[tokio::main]
async fn main() {
    let Some(backend) = test_server::bench_engine("P9", NODE).await else {
        return;
    };
    test_server::assert_no_other_village_on_the_engine(NODE);
    let dir = tempfile::tempdir().unwrap();
    let (server, socket_dir) = TestServer::start_for_containers(dir.path(), |settings| {
        settings.board.agents_post_at_board_only = false;
    })
    .await;
    let link = server.runtime_link().await;
    let (launch, recipe) =
        test_server::agent_launch(&backend, "aivillage-agent-bench", &socket_dir, &[]).await;
    let agent = server.create_agent("P9 Agent", "home-ash").await;
    let _clean = CleanUp(agent.id);
    let post = json!({"title": "P9", "body": "rewarded and penalized", "audience": "humans"});
    let post = server
        .post_as(
            Some(&agent.token),
            "/board/posts",
            &post,
            StatusCode::CREATED,
        )
        .await["id"]
        .as_u64()
        .unwrap();

    // Placed by the polling launcher's first pass, in the first tier.
    let polling = start_daemon(&backend, &launch, &recipe, &link, false);
    until_cpu(&backend, agent.id, SEEDLING_NANO_CPUS, Instant::now()).await;
    let (poll_up, poll_down) = measure(&server, &backend, agent.id, post, "poll").await;
    drop(polling);
    let woken = start_daemon(&backend, &launch, &recipe, &link, true);
    let (woken_up, woken_down) = measure(&server, &backend, agent.id, post, "woken").await;
    drop(woken);

    println!("P9 a reward's commit -> the container's new CPU limit (docker inspect):");
    println!("  {}", line("polling every 2 s, reward ", &poll_up));
    println!("  {}", line("polling every 2 s, penalty", &poll_down));
    println!("  {}", line("woken by the server, reward ", &woken_up));
    println!("  {}", line("woken by the server, penalty", &woken_down));
    let (median, p99) = (percentile(&woken_up, 50.0), percentile(&woken_up, 99.0));
    println!(
        "  woken rewards: median {:.0} ms (goal <= 200), p99 {:.0} ms (goal <= 500): {}",
        ms(median),
        ms(p99),
        verdict(median <= 200_000 && p99 <= 500_000)
    );
    server.stop().await;
}
