//! R5 chaos: rounds of faults against the reconcile loop on two real engines (the machine's,
//! as sparky1, and a second `dockerd` as sparky2), each followed by passes every
//! [`PASS_EVERY`] until the village has converged again: every agent exactly one running
//! container, no container of an agent nobody wants, and a pass that plans nothing.
//!
//! Faults, in a fixed cycle of ten rounds: six kills of an agent's container (SIGKILL from
//! outside, victims taken in turn), two removals of one, one restart of sparky2's engine
//! (live-restore: its containers keep running), and one vanished node (sparky2's engine
//! stopped until its agents have moved to sparky1, then started again with its old containers
//! still running). Goals: each round converges within 10 s (for a vanished node: its agents
//! running elsewhere within 10 s of the loss, and the returned node's duplicates gone within
//! 10 s of its return); 0 duplicates and 0 orphans once converged.
//!
//! Run: `cargo build --release -p village-agent && cargo bench -p village-runtime --bench r5_chaos` (needs root, a Docker engine and
//! Debian's busybox-static). `VILLAGE_BENCH_QUICK=1` runs one cycle of ten rounds with fewer
//! agents (CI runs that in the test profile).

#![allow(clippy::unwrap_used)]

#[allow(dead_code)]
#[path = "../../server/benches/support/report.rs"]
mod report;

#[allow(dead_code)]
#[path = "../tests/docker/engine.rs"]
mod engine;
#[allow(dead_code)]
#[path = "../tests/docker/second_engine.rs"]
mod second_engine;

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use report::verdict;
use runtime::backend::docker::DockerBackend;
use runtime::backend::{ContainerBackend, RunState};
use runtime::placement::Capacity;
use runtime::plan::{DesiredAgent, Want};
use runtime::reconcile::{PassReport, Reconciler};
use runtime::spec::container_name;
use shared::AgentId;

use engine::{CleanUp, SEEDLING, desired, fresh_agent, launch};
use second_engine::{SecondEngine, TwoEngines};

/// Time between passes, as `reconcile.interval_ms` would space them.
const PASS_EVERY: Duration = Duration::from_millis(500);
/// The goal for each convergence.
const CONVERGE_GOAL: Duration = Duration::from_secs(10);
/// A round that has not converged by then is given up (and counted).
const GIVE_UP: Duration = Duration::from_secs(60);
/// Room for every agent on either node.
const ROOMY: Capacity = Capacity {
    cpu_millicores: 64_000,
    memory_mib: 262_144,
    gpus: 0,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Fault {
    Kill,
    Remove,
    RestartEngine,
    NodeLost,
    NodeBack,
}

fn fault_of(round: usize) -> Fault {
    match round % 10 {
        0..=5 => Fault::Kill,
        6 | 7 => Fault::Remove,
        8 => Fault::RestartEngine,
        _ => Fault::NodeLost,
    }
}

struct Village {
    sparky1: DockerBackend,
    sparky2: DockerBackend,
    second: SecondEngine,
    reconciler: Reconciler<DockerBackend>,
    wanted: Vec<DesiredAgent>,
}

/// What the nodes hold now: running containers per agent, and containers of no wanted agent.
async fn census(village: &Village, sparky2_up: bool) -> (BTreeMap<AgentId, usize>, usize) {
    let mut running: BTreeMap<AgentId, usize> = BTreeMap::new();
    let mut orphans = 0;
    let mut nodes = vec![&village.sparky1];
    if sparky2_up {
        nodes.push(&village.sparky2);
    }
    for backend in nodes {
        for info in backend.list().await.unwrap() {
            match info.agent() {
                Some(agent) if village.wanted.iter().any(|w| w.agent == agent) => {
                    if info.state == RunState::Running {
                        *running.entry(agent).or_default() += 1;
                    }
                }
                _ => orphans += 1,
            }
        }
    }
    (running, orphans)
}

/// Passes until converged (or `GIVE_UP`); the time it took, the last pass, and the
/// duplicates and orphans left.
async fn converge(village: &mut Village, sparky2_up: bool) -> (Duration, usize, usize) {
    let started = Instant::now();
    loop {
        let report: PassReport = village
            .reconciler
            .pass(&village.wanted, Instant::now())
            .await;
        let (running, orphans) = census(village, sparky2_up).await;
        let everyone_once = village
            .wanted
            .iter()
            .all(|w| running.get(&w.agent) == Some(&1));
        let quiet = report.done.is_empty() && report.failed.is_empty();
        if (everyone_once && quiet && orphans == 0) || started.elapsed() > GIVE_UP {
            let duplicates = running.values().filter(|n| **n > 1).count();
            return (started.elapsed(), duplicates, orphans);
        }
        tokio::time::sleep(PASS_EVERY).await;
    }
}

/// The node an agent's running container is on, and that node's docker CLI arguments.
async fn where_runs(village: &Village, agent: AgentId) -> Vec<String> {
    for (backend, host) in [
        (&village.sparky1, None),
        (&village.sparky2, Some(village.second.endpoint())),
    ] {
        let listed = backend.list().await.unwrap();
        if listed
            .iter()
            .any(|i| i.agent() == Some(agent) && i.state == RunState::Running)
        {
            return host.map(|h| vec!["-H".to_string(), h]).unwrap_or_default();
        }
    }
    Vec::new()
}

fn docker(host: &[String], args: &[&str]) {
    let output = Command::new("docker")
        .args(host)
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::main]
async fn main() {
    let quick = std::env::var_os("VILLAGE_BENCH_QUICK").is_some();
    let (rounds, agents) = if quick { (10, 4) } else { (100, 12) };
    let Some(TwoEngines {
        sparky1,
        sparky2,
        second,
        image,
        ..
    }) = TwoEngines::start("r5").await
    else {
        return;
    };
    let ids: Vec<AgentId> = (0..agents).map(|_| fresh_agent()).collect();
    let _clean = CleanUp(ids.clone());
    let wanted = ids
        .iter()
        .map(|a| desired(*a, Want::Running, SEEDLING))
        .collect();
    let reconciler = Reconciler::new(
        vec![(sparky1.clone(), ROOMY), (sparky2.clone(), ROOMY)],
        launch(image),
    );
    let mut village = Village {
        sparky1,
        sparky2,
        second,
        reconciler,
        wanted,
    };
    let (first, _, _) = converge(&mut village, true).await;
    println!(
        "R5: {agents} agents placed on two engines in {:.1} s",
        first.as_secs_f64()
    );

    let mut times: BTreeMap<Fault, Vec<Duration>> = BTreeMap::new();
    let (mut duplicates, mut orphans, mut victim) = (0, 0, 0);
    for round in 0..rounds {
        let fault = fault_of(round);
        match fault {
            Fault::Kill | Fault::Remove => {
                let agent = ids[victim % ids.len()];
                victim += 1;
                let host = where_runs(&village, agent).await;
                let name = container_name(agent);
                if fault == Fault::Kill {
                    docker(&host, &["kill", &name]);
                } else {
                    docker(&host, &["rm", "-f", &name]);
                }
            }
            Fault::RestartEngine => village.second.restart(),
            Fault::NodeLost | Fault::NodeBack => village.second.stop(),
        }
        let sparky2_up = fault != Fault::NodeLost;
        if sparky2_up {
            village.second.wait_ready().await;
        }
        let (took, dup, orph) = converge(&mut village, sparky2_up).await;
        times.entry(fault).or_default().push(took);
        duplicates += dup;
        orphans += orph;
        if fault == Fault::NodeLost {
            // The node comes back with its old containers still running.
            village.second.restart();
            village.second.wait_ready().await;
            let (took, dup, orph) = converge(&mut village, true).await;
            times.entry(Fault::NodeBack).or_default().push(took);
            duplicates += dup;
            orphans += orph;
        }
    }

    println!("R5 chaos: {rounds} rounds, {agents} agents, a pass every {PASS_EVERY:?}");
    let mut worst = Duration::ZERO;
    for (fault, took) in &times {
        let mut sorted = took.clone();
        sorted.sort();
        let max = *sorted.last().unwrap();
        worst = worst.max(max);
        println!(
            "  {:<13} {:>3} rounds: converged in median {:.2} s, max {:.2} s",
            format!("{fault:?}"),
            sorted.len(),
            sorted[sorted.len() / 2].as_secs_f64(),
            max.as_secs_f64()
        );
    }
    println!(
        "  slowest {:.2} s (goal <= {} s): {}; duplicates once converged: {duplicates}, orphans: {orphans} (goal 0): {}",
        worst.as_secs_f64(),
        CONVERGE_GOAL.as_secs(),
        verdict(worst <= CONVERGE_GOAL),
        verdict(duplicates == 0 && orphans == 0)
    );
}
