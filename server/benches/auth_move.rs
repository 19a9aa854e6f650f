//! P3: the authenticated write path against a bare axum route, driven by the same load
//! generator over loopback in one run.
//!
//! The village side is `POST /agents/{id}/move` with `{dx, dy}` steps: bearer check (a JWT of
//! an admin, and separately each agent's own token), the write rate limit, the request
//! counter and tracing layers, JSON parsing, and a round trip through the world task. The
//! baseline is a bare axum `POST /hello` on the same runtime. Each of `connections` keep-alive
//! connections sends its requests one after another; phases alternate baseline and village
//! four times so drift on a noisy machine hits both.
//! Goal: village ≥ 0.6 × baseline requests/s, and village p99 ≤ 2 × baseline p99.
//!
//! Run: `cargo bench -p village-server --bench auth_move`.
//! `VILLAGE_BENCH_QUICK=1` shrinks it to a smoke run (CI runs that in the test profile).

#![allow(clippy::unwrap_used)]

#[path = "support/report.rs"]
mod report;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::post;
use report::{ms, percentile, verdict};
use serde_json::{Value, json};
use village_server::auth::Role;
use village_server::auth::accounts_admin::create_password_account;
use village_server::config::Settings;
use village_server::startup::Application;
use village_server::store::AuditEntry;

/// Rounds of (baseline, JWT, agent token) phases; alternating spreads a noisy machine's drift.
const ROUNDS: usize = 4;

struct Plan {
    connections: usize,
    requests_per_connection: usize,
    warm_up_per_connection: usize,
}

impl Plan {
    fn from_env() -> Plan {
        if std::env::var_os("VILLAGE_BENCH_QUICK").is_some() {
            Plan {
                connections: 4,
                requests_per_connection: 100,
                warm_up_per_connection: 10,
            }
        } else {
            Plan {
                connections: 32,
                requests_per_connection: 1_000,
                warm_up_per_connection: 100,
            }
        }
    }
}

/// One phase's result.
#[derive(Default)]
struct Load {
    requests: u64,
    elapsed: Duration,
    latencies_us: Vec<u64>,
    /// Answers by status, to show that every request was handled (not refused).
    statuses: std::collections::BTreeMap<u16, u64>,
}

impl Load {
    fn add(&mut self, other: Load) {
        self.requests += other.requests;
        self.elapsed += other.elapsed;
        self.latencies_us.extend(other.latencies_us);
        for (status, n) in other.statuses {
            *self.statuses.entry(status).or_default() += n;
        }
    }

    fn per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }
}

/// One connection's target: the URL, the bearer (if any) and the bodies to alternate.
#[derive(Clone)]
struct Target {
    url: String,
    token: Option<String>,
}

const BODIES: [&str; 2] = [r#"{"dx":1,"dy":0}"#, r#"{"dx":-1,"dy":0}"#];

/// Drives `targets` (one connection each) with `per_connection` requests apiece.
async fn drive(targets: &[Target], per_connection: usize) -> Load {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for target in targets.iter().cloned() {
        tasks.push(tokio::spawn(async move {
            // One client per target: its own keep-alive connection.
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap();
            let mut latencies = Vec::with_capacity(per_connection);
            let mut statuses = std::collections::BTreeMap::new();
            for i in 0..per_connection {
                let mut request = client
                    .post(&target.url)
                    .header("content-type", "application/json")
                    .body(BODIES[i % 2]);
                if let Some(token) = &target.token {
                    request = request.bearer_auth(token);
                }
                let sent = Instant::now();
                let response = request.send().await.unwrap();
                let status = response.status().as_u16();
                let _ = response.bytes().await.unwrap();
                latencies.push(sent.elapsed().as_micros() as u64);
                *statuses.entry(status).or_insert(0u64) += 1;
            }
            (latencies, statuses)
        }));
    }
    let mut load = Load::default();
    for task in tasks {
        let (latencies, statuses) = task.await.unwrap();
        load.requests += latencies.len() as u64;
        load.latencies_us.extend(latencies);
        for (status, n) in statuses {
            *load.statuses.entry(status).or_default() += n;
        }
    }
    load.elapsed = started.elapsed();
    load
}

async fn bare_hello() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().route("/hello", post(|| async { "hello" }));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// A village on `dir` with an admin account (`bench-admin`).
async fn build_village(dir: &std::path::Path) -> Application {
    let mut settings = Settings::default();
    settings.server.bind = "127.0.0.1:0".parse().unwrap();
    settings.server.data_dir = dir.to_path_buf();
    settings.server.assets_dir =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../assets");
    // The limiter is still consulted on every request; it just never says no here.
    settings.auth.writes_per_second_per_account = 1_000_000;
    settings.auth.write_burst_per_account = 1_000_000;
    settings.auth.requests_per_minute_per_account = 100_000_000;
    settings.auth.request_burst_per_account = 1_000_000;
    // Agent requests still pass the tier lookup and the tier limiter, whose limits this table
    // sets out of reach; the default table would refuse a seedling's fourth request.
    settings.economy.tiers_file = Some(
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/roomy_tiers.toml"),
    );
    let app = Application::build(settings).await.unwrap();
    let audit = AuditEntry::system("admin.account_create", "bench");
    create_password_account(
        &app.store(),
        "bench-admin",
        "bench admin password".into(),
        Role::Admin,
        audit,
    )
    .await
    .unwrap();
    app
}

#[tokio::main]
async fn main() {
    let plan = Plan::from_env();
    let dir = tempfile::tempdir().unwrap();
    let app = build_village(dir.path()).await;
    let addr = app.local_addr();
    let shutdown = app.shutdown_token();
    let server = tokio::spawn(app.run_until_stopped(std::future::pending()));
    let client = reqwest::Client::new();
    let login: Value = client
        .post(format!("http://{addr}/auth/login"))
        .json(&json!({"username": "bench-admin", "password": "bench admin password"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let jwt = login["access_token"].as_str().unwrap().to_string();
    let mut agents = Vec::new();
    for i in 0..plan.connections {
        let created: Value = client
            .post(format!("http://{addr}/admin/agents"))
            .bearer_auth(&jwt)
            .json(&json!({"display_name": format!("Bench {i}")}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        agents.push((
            created["agent_id"].as_u64().unwrap(),
            created["token"].as_str().unwrap().to_string(),
        ));
    }
    let hello = bare_hello().await;
    let baseline: Vec<Target> = (0..plan.connections)
        .map(|_| Target {
            url: format!("http://{hello}/hello"),
            token: None,
        })
        .collect();
    let as_admin: Vec<Target> = agents
        .iter()
        .map(|(id, _)| Target {
            url: format!("http://{addr}/agents/{id}/move"),
            token: Some(jwt.clone()),
        })
        .collect();
    let as_agents: Vec<Target> = agents
        .iter()
        .map(|(id, token)| Target {
            url: format!("http://{addr}/agents/{id}/move"),
            token: Some(token.clone()),
        })
        .collect();
    for targets in [&baseline, &as_admin, &as_agents] {
        drive(targets, plan.warm_up_per_connection).await;
    }
    let (mut base, mut jwt_load, mut agent_load) =
        (Load::default(), Load::default(), Load::default());
    let per_round = plan.requests_per_connection / ROUNDS;
    for _ in 0..ROUNDS {
        base.add(drive(&baseline, per_round).await);
        jwt_load.add(drive(&as_admin, per_round).await);
        agent_load.add(drive(&as_agents, per_round).await);
    }
    let report = |name: &str, load: &Load| {
        println!(
            "P3 {name:<28}: {:9.0} req/s  p50 {:6.2} ms  p99 {:6.2} ms  statuses {:?}",
            load.per_second(),
            ms(percentile(&load.latencies_us, 50.0)),
            ms(percentile(&load.latencies_us, 99.0)),
            load.statuses
        );
    };
    println!(
        "P3 load: {} connections x {} requests per phase kind, loopback, one process",
        plan.connections, plan.requests_per_connection
    );
    report("baseline bare POST /hello", &base);
    report("move, admin JWT", &jwt_load);
    report("move, agent token", &agent_load);
    let base_p99 = percentile(&base.latencies_us, 99.0).max(1) as f64;
    for (name, load) in [("JWT", &jwt_load), ("agent token", &agent_load)] {
        let ratio = load.per_second() / base.per_second();
        let p99_ratio = percentile(&load.latencies_us, 99.0) as f64 / base_p99;
        println!(
            "P3 ratio {name}: req/s {ratio:.3} x baseline (goal >= 0.6: {}), p99 {p99_ratio:.2} x baseline (goal <= 2: {})",
            verdict(ratio >= 0.6),
            verdict(p99_ratio <= 2.0)
        );
    }
    let handled = |load: &Load| load.statuses.keys().all(|s| *s == 202 || *s == 422);
    assert!(
        handled(&jwt_load) && handled(&agent_load),
        "every move must be handled (202, or 422 for a wall)"
    );
    shutdown.cancel();
    server.await.unwrap().unwrap();
}
