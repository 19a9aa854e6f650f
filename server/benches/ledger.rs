//! P4: durable transfers per second through the ledger writer against two raw SQLite loops with
//! the same durability settings (WAL, `synchronous=FULL`), measured in the same run:
//! one row per commit, and 100 rows per commit.
//!
//! The ledger side: `clients` tasks each make `transfers_per_client` transfers one after
//! another (mint → one of `agents` agents) through `economy::Ledger`; each is acknowledged only
//! once its group's transaction is durable. Phases alternate raw and ledger `ROUNDS` times so a
//! noisy machine's drift hits all of them.
//! Goals: ledger ≥ 50 × the one-row loop, ≥ 0.5 × the 100-row loop, and ledger p99
//! acknowledgement ≤ 2 × one raw commit (the one-row loop's median) + the batching window.
//! With `VILLAGE_TEST_PG_URL` set it also runs the ledger on PostgreSQL (`synchronous_commit`
//! on) beside a one-row-per-commit PostgreSQL loop, for the record.
//!
//! Run: `cargo bench -p village-server --bench ledger`.
//! `VILLAGE_BENCH_QUICK=1` shrinks it to a smoke run (CI runs that in the test profile).

#![allow(clippy::unwrap_used)]

#[path = "support/report.rs"]
mod report;

#[path = "../tests/support/databases.rs"]
mod databases;

use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use report::{ms, percentile, verdict};
use shared::AgentId;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use village_server::economy::{AccountRef, Ledger, TransferCode, TransferRequest, WriterSettings};
use village_server::metrics::Metrics;
use village_server::store::{NewAgent, Store};

/// Rounds of (raw one-row, raw 100-row, ledger) phases.
const ROUNDS: usize = 2;
/// Rows per commit of the second raw loop.
const BATCH_ROWS: usize = 100;

struct Plan {
    single_commits: usize,
    batch_commits: usize,
    clients: usize,
    transfers_per_client: usize,
    agents: usize,
}

impl Plan {
    fn from_env() -> Plan {
        if std::env::var_os("VILLAGE_BENCH_QUICK").is_some() {
            Plan {
                single_commits: 20,
                batch_commits: 5,
                clients: 8,
                transfers_per_client: 5,
                agents: 4,
            }
        } else {
            Plan {
                single_commits: 400,
                batch_commits: 150,
                clients: 256,
                transfers_per_client: 100,
                agents: 64,
            }
        }
    }
}

/// What one phase did: rows (or transfers) per second and each commit's or acknowledgement's
/// latency in microseconds.
struct Phase {
    per_second: f64,
    latencies_us: Vec<u64>,
}

async fn raw_sqlite(path: &std::path::Path) -> sqlx::SqlitePool {
    let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
        .unwrap()
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .unwrap();
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS raw_rows (id INTEGER PRIMARY KEY, account INTEGER NOT NULL, \
         amount INTEGER NOT NULL, memo TEXT NOT NULL, at_ms INTEGER NOT NULL)",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool
}

/// `commits` transactions of `rows` inserts each, one after another.
async fn raw_loop<DB: sqlx::Database>(pool: &sqlx::Pool<DB>, commits: usize, rows: usize) -> Phase
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> <DB as sqlx::Database>::Arguments: sqlx::IntoArguments<DB>,
    i64: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    String: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let mut latencies_us = Vec::with_capacity(commits);
    let started = Instant::now();
    for commit in 0..commits {
        let begun = Instant::now();
        let mut tx = pool.begin().await.unwrap();
        for row in 0..rows {
            sqlx::query(
                "INSERT INTO raw_rows (account, amount, memo, at_ms) VALUES ($1, $2, $3, $4)",
            )
            .bind((commit * rows + row) as i64 % 64)
            .bind(1_000_i64)
            .bind(String::from("bench"))
            .bind(commit as i64)
            .execute(&mut *tx)
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        latencies_us.push(begun.elapsed().as_micros() as u64);
    }
    let elapsed = started.elapsed().as_secs_f64();
    Phase {
        per_second: (commits * rows) as f64 / elapsed,
        latencies_us,
    }
}

/// A migrated store with `count` agents, and their ids.
async fn ledger_store(url: &str, count: usize) -> (Store, Vec<AgentId>) {
    let store = Store::open_and_migrate(url).await.unwrap();
    let mut agents = Vec::new();
    for i in 0..count {
        let agent = NewAgent {
            display_name: format!("bench-{i}"),
            persona: "bench".into(),
            home: None,
            profile: serde_json::json!({}),
            brain: shared::runtime::AgentBrain::Scripted,
        };
        agents.push(store.insert_agent(&agent, 1).await.unwrap().view.id);
    }
    (store, agents)
}

fn transfer(id: String, agent: AgentId) -> TransferRequest {
    TransferRequest {
        memo: "bench".into(),
        ..TransferRequest::new(
            id,
            (AccountRef::Mint, AccountRef::Agent(agent)),
            1_000,
            TransferCode::AdminAdjust,
            "economy.adjust",
        )
    }
}

async fn ledger_phase(ledger: &Ledger, agents: &[AgentId], plan: &Plan, round: usize) -> Phase {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client in 0..plan.clients {
        let ledger = ledger.clone();
        let agent = agents[client % agents.len()];
        let count = plan.transfers_per_client;
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(count);
            for i in 0..count {
                let begun = Instant::now();
                let id = format!("r{round}-c{client}-{i}");
                ledger.transfer(transfer(id, agent)).await.unwrap();
                latencies.push(begun.elapsed().as_micros() as u64);
            }
            latencies
        }));
    }
    let mut latencies_us = Vec::new();
    for task in tasks {
        latencies_us.extend(task.await.unwrap());
    }
    let elapsed = started.elapsed().as_secs_f64();
    Phase {
        per_second: latencies_us.len() as f64 / elapsed,
        latencies_us,
    }
}

fn spawn_ledger(store: &Store, window: Duration, metrics: &Arc<Metrics>) -> Ledger {
    let settings = WriterSettings {
        queue_max: 4096,
        batch_window: window,
        tier_book: None,
    };
    Ledger::spawn(store.clone(), metrics.clone(), settings).0
}

/// The mean of a histogram in the metrics text (`<name>_sum / <name>_count`).
fn histogram_mean(metrics: &Metrics, name: &str) -> f64 {
    let text = metrics.render();
    let value = |suffix: &str| -> f64 {
        text.lines()
            .find_map(|line| line.strip_prefix(&format!("{name}{suffix} ")))
            .map_or(0.0, |v| v.trim().parse().unwrap_or(0.0))
    };
    value("_sum") / value("_count").max(1.0)
}

/// What the writer's own metrics say: groups, their mean size, check and commit times.
fn print_writer_metrics(metrics: &Metrics) {
    println!(
        "  writer: mean group {:.1} transfers, check {:.2} ms, commit {:.2} ms per group",
        histogram_mean(metrics, "village_ledger_group_transfers"),
        histogram_mean(metrics, "village_ledger_check_duration_seconds") * 1000.0,
        histogram_mean(metrics, "village_ledger_commit_duration_seconds") * 1000.0
    );
}

#[tokio::main]
async fn main() {
    let plan = Plan::from_env();
    let window = Duration::ZERO;
    let dir = tempfile::tempdir().unwrap();
    let raw = raw_sqlite(&dir.path().join("raw.db")).await;
    let url = format!("sqlite://{}", dir.path().join("ledger.db").display());
    let (store, agents) = ledger_store(&url, plan.agents).await;
    let metrics = Arc::new(Metrics::new());
    let ledger = spawn_ledger(&store, window, &metrics);

    let (mut single, mut batch, mut village) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        single.push(raw_loop(&raw, plan.single_commits, 1).await);
        batch.push(raw_loop(&raw, plan.batch_commits, BATCH_ROWS).await);
        village.push(ledger_phase(&ledger, &agents, &plan, round).await);
    }
    let mean =
        |phases: &[Phase]| phases.iter().map(|p| p.per_second).sum::<f64>() / phases.len() as f64;
    let all = |phases: &[Phase]| -> Vec<u64> {
        phases
            .iter()
            .flat_map(|p| p.latencies_us.iter().copied())
            .collect()
    };
    let single_rate = mean(&single);
    let batch_rate = mean(&batch);
    let village_rate = mean(&village);
    let raw_commit_us = percentile(&all(&single), 50.0);
    let village_lat = all(&village);
    let p50 = percentile(&village_lat, 50.0);
    let p99 = percentile(&village_lat, 99.0);
    let budget_us = 2 * raw_commit_us + window.as_micros() as u64;
    println!(
        "P4 ledger on SQLite (WAL, synchronous=FULL), {} clients x {} transfers, {} agents, {} rounds",
        plan.clients, plan.transfers_per_client, plan.agents, ROUNDS
    );
    println!(
        "  raw, 1 row per commit:     {single_rate:>10.0} rows/s   (one commit: median {:.2} ms)",
        ms(raw_commit_us)
    );
    println!("  raw, {BATCH_ROWS} rows per commit: {batch_rate:>10.0} rows/s");
    println!(
        "  ledger:                    {village_rate:>10.0} transfers/s   ack p50 {:.2} ms, p99 {:.2} ms",
        ms(p50),
        ms(p99)
    );
    let vs_single = village_rate / single_rate;
    let vs_batch = village_rate / batch_rate;
    println!(
        "  ratio vs 1-row loop: {vs_single:.1}x (goal >= 50x: {}); vs 100-row loop: {vs_batch:.2}x (goal >= 0.5x: {})",
        verdict(vs_single >= 50.0),
        verdict(vs_batch >= 0.5)
    );
    println!(
        "  p99 ack {:.2} ms vs 2 x raw commit + window = {:.2} ms: {:.2}x of the bound ({})",
        ms(p99),
        ms(budget_us),
        p99 as f64 / budget_us as f64,
        verdict(p99 <= budget_us)
    );
    print_writer_metrics(&metrics);
    // The same bound at a light load: one client at a time (no group to wait behind).
    let light = Plan {
        clients: 1,
        transfers_per_client: plan.transfers_per_client * 2,
        ..plan
    };
    let alone = ledger_phase(&ledger, &agents, &light, ROUNDS).await;
    let alone_p99 = percentile(&alone.latencies_us, 99.0);
    println!(
        "  one client alone: {:.0} transfers/s, ack p50 {:.2} ms, p99 {:.2} ms = {:.2}x of the bound ({})",
        alone.per_second,
        ms(percentile(&alone.latencies_us, 50.0)),
        ms(alone_p99),
        alone_p99 as f64 / budget_us as f64,
        verdict(alone_p99 <= budget_us)
    );

    let report = store.verify_ledger().await.unwrap();
    assert!(report.is_clean(), "{:?}", report.problems);
    let expected = ((ROUNDS * plan.clients + 2) * plan.transfers_per_client) as i64;
    assert_eq!(report.transfers, expected);

    if let Some(admin) = databases::postgres_admin_url() {
        let url = databases::fresh_postgres_database(&admin).await;
        let (pg_store, pg_agents) = ledger_store(&url, plan.agents).await;
        let pg_raw = sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .connect(&url)
            .await
            .unwrap();
        sqlx::query(
            "CREATE TABLE raw_rows (id BIGSERIAL PRIMARY KEY, account BIGINT NOT NULL, \
             amount BIGINT NOT NULL, memo TEXT NOT NULL, at_ms BIGINT NOT NULL)",
        )
        .execute(&pg_raw)
        .await
        .unwrap();
        let pg_metrics = Arc::new(Metrics::new());
        let pg_ledger = spawn_ledger(&pg_store, window, &pg_metrics);
        let pg_single = raw_loop(&pg_raw, plan.single_commits, 1).await;
        let pg_village = ledger_phase(&pg_ledger, &pg_agents, &plan, 0).await;
        assert!(pg_store.verify_ledger().await.unwrap().is_clean());
        println!("P4 ledger on PostgreSQL (synchronous_commit on), for the record");
        println!(
            "  raw, 1 row per commit: {:>10.0} rows/s (median commit {:.2} ms)",
            pg_single.per_second,
            ms(percentile(&pg_single.latencies_us, 50.0))
        );
        println!(
            "  ledger:                {:>10.0} transfers/s, ack p99 {:.2} ms ({:.1}x the raw loop)",
            pg_village.per_second,
            ms(percentile(&pg_village.latencies_us, 99.0)),
            pg_village.per_second / pg_single.per_second
        );
        print_writer_metrics(&pg_metrics);
    }
}
