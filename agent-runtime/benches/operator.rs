//! A1, the operator benchmark: how well agents do what people ask them in plain words. A
//! village server runs in this process; its agents live in real containers on the machine's
//! Docker engine (the runtime's `Reconciler`, the agent image built from this build's
//! `village-agent`, no network, the server's API socket their only way out), LLM agents
//! thinking with the local model through the server's gateway and, as the baseline in the same
//! run, one agent with the scripted brain (it answers each task chat at once that it has no
//! model and did nothing: the floor the model has to lift). A scripted person opens one task chat per task
//! (`POST /chats`), answers clarifying questions with a fixed follow-up and stops each task at
//! its deadline (`operator/person.rs`); every answer is graded exactly (`operator/tasks.rs`,
//! `operator/graders.rs`). A recording proxy between the gateway and the model server counts
//! each task's model calls and tokens (`operator/model_proxy.rs`). Figures per task and per
//! brain and model: solved, answered, false success claims, time to first answer and to
//! delivery, model calls and tokens per task, aiDollar spent, and the model server's
//! prefix-cache hit rate (`operator/figures.rs`). The start (the environment's plan, which
//! agents to make) is in `operator/plan.rs` and `operator/village.rs`; this file runs it.
//!
//! Agents get the `artisan` tier of `tests/support/cpu_only_tiers.toml` (a 110 aiD deposit
//! each): 400,000 LLM tokens an hour, 2 CPUs (more than a 2-core engine accepts fails to
//! start), the three model names all served by the local model.
//!
//! Run (the release agent binary and a model server first):
//! ```text
//! cargo build --release -p village-agent
//! . scripts/lib.sh; need_docker   # the engine, and busybox-static: the agents' shell
//! . scripts/local-llm.sh; need_local_llm
//! VILLAGE_LLM_THREADS=1 VILLAGE_LLM_SLOTS=4 start_local_llm /tmp/llm.log
//! export VILLAGE_TEST_LLM_URL="$LOCAL_LLM_URL" VILLAGE_TEST_LLM_MODEL="$LOCAL_LLM_ALIAS"
//! cargo bench -p village-runtime --bench operator
//! ```
//! Without `VILLAGE_TEST_LLM_URL` only the scripted baseline runs (said on stderr); under `CI`
//! a missing model fails instead. Settings (environment): `VILLAGE_BENCH_LLM_AGENTS` (3: give
//! the model server a slot each), `VILLAGE_BENCH_TASKS` (task names, comma-separated; all by
//! default), `VILLAGE_BENCH_TASK_S` (an LLM task's deadline, 480), `VILLAGE_BENCH_TOTAL_S` (the
//! run's bound, 3600), `VILLAGE_BENCH_ROUNDS` (how many times the LLM agents get the task
//! list, 1; each round's chats are titled apart: a long run of a busy village, figures printed
//! round by round). `VILLAGE_BENCH_QUICK=1` (CI's `cargo test --benches`) runs the scripted
//! baseline on 2 tasks and one LLM task in under 4 minutes and checks only that every task got
//! a verdict.

#![allow(clippy::unwrap_used)]

#[allow(dead_code)]
#[path = "../../server/benches/support/report.rs"]
mod report;

#[allow(dead_code)]
#[path = "../tests/support/village_server.rs"]
mod test_server;

#[allow(dead_code)]
#[path = "../tests/docker/engine.rs"]
mod engine;

#[path = "operator/api.rs"]
mod api;
#[path = "operator/figures.rs"]
mod figures;
#[path = "operator/graders.rs"]
mod graders;
#[path = "operator/model_proxy.rs"]
mod model_proxy;
#[path = "operator/person.rs"]
mod person;
#[path = "operator/plan.rs"]
mod plan;
#[path = "operator/tasks.rs"]
mod tasks;
#[path = "operator/village.rs"]
mod village;

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::StreamExt;
use runtime::desired::desired_agents;
use runtime::spec::container_name;
use shared::AgentId;
use test_server::TestServer;
use tokio::time::Instant;

use api::Api;
use engine::CleanUp;
use person::{Assignment, Outcome, Stop};
use plan::LLM_NAMES;
use tasks::Task;
use village::{all_online, gateway_models, make_agent};

const NODE: &str = "bench-operator";
/// The agents' step pause.
const STEP_MS: &str = "500";
/// Between two reconcile passes while the tasks run (a crashed container comes back).
const PASS_EVERY: Duration = Duration::from_secs(10);
/// One agent's tasks, run by the person `parallel` at a time.
async fn lane(
    api: &Api,
    proxy: Option<&model_proxy::ModelProxy>,
    work: Vec<Assignment>,
    parallel: usize,
    deadline: Duration,
    total_bound: Instant,
) -> Vec<Outcome> {
    futures_util::stream::iter(work)
        .map(|assignment| async move {
            if Instant::now() >= total_bound {
                let note = "the run's total bound passed first".to_string();
                return Outcome::unstarted(assignment, Stop::NotStarted, note);
            }
            let key = assignment.key.clone();
            if let Some(proxy) = proxy {
                proxy.expect_task(&key, &assignment.title, assignment.task.body);
            }
            let outcome =
                person::run_task(api, assignment, Instant::now() + deadline, total_bound).await;
            if let Some(proxy) = proxy {
                proxy.task_over(&key);
            }
            outcome
        })
        .buffered(parallel)
        .collect()
        .await
}

#[tokio::main]
async fn main() {
    graders::check_graders();
    let plan = plan::plan();
    let model = plan::local_model();
    let Some(backend) = test_server::bench_engine("operator", NODE).await else {
        return;
    };
    test_server::assert_no_other_village_on_the_engine(NODE);
    let proxy = match &model {
        Some((url, _)) => Some(model_proxy::ModelProxy::start(url).await),
        None => None,
    };
    let models = match (&proxy, &model) {
        (Some(proxy), Some((_, upstream))) => gateway_models(&proxy.url, upstream.clone()),
        _ => Vec::new(),
    };
    let dir = tempfile::tempdir().unwrap();
    // The bench's people stay signed in for the whole run (access tokens last 15 minutes by
    // default; an expired one would end every chat read in a 401).
    let signed_in_s = plan.total.as_secs() + 3_600;
    let (server, socket_dir) = TestServer::start_for_containers(dir.path(), move |settings| {
        settings.llm.models = models;
        settings.auth.access_token_ttl_s = signed_in_s;
    })
    .await;
    let link = server.runtime_link().await;
    let env = [("VILLAGE_STEP_MS", STEP_MS)];
    let (launch, _) =
        test_server::agent_launch(&backend, "aivillage-agent-bench", &socket_dir, &env).await;
    let mut launcher =
        runtime::reconcile::Reconciler::new(vec![(backend, test_server::BENCH_CAPACITY)], launch)
            .with_tokens(link.clone());
    let admin_password = server.account("bench-admin", "admin").await;
    let admin = server.login("bench-admin", &admin_password).await;
    let person_password = server.account("pat", "human").await;
    let person = server.login("pat", &person_password).await;
    let api = Api::new(server.url(), admin, person);

    // The agents: the scripted baseline, and the LLM agents when there is a model.
    let mut made = CleanUp(Vec::new());
    let scripted = make_agent(&server, &api, "Bench Scripted", "scripted").await;
    made.0.push(scripted);
    let mut llm_agents = Vec::new();
    if model.is_some() {
        for (i, name) in LLM_NAMES.iter().take(plan.llm_agents).enumerate() {
            let agent = make_agent(&server, &api, name, "llm").await;
            made.0.push(agent);
            llm_agents.push((format!("llm-{}", i + 1), agent));
            if let Some(proxy) = &proxy {
                proxy.expect_agent(&format!("llm-{}", i + 1), name);
            }
        }
    }
    let desired = desired_agents(&link.desired().await.unwrap().agents);
    let report = launcher.pass(&desired, std::time::Instant::now()).await;
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert!(report.unplaced.is_empty(), "{:?}", report.unplaced);
    // The full run starts the clock once every agent lives; the quick run has no time to.
    if !plan.quick {
        all_online(&api, &made.0, Duration::from_secs(120)).await;
    }

    // The figures' starting points.
    let mut balances = BTreeMap::new();
    let labelled: Vec<(String, AgentId)> = std::iter::once(("scripted".to_string(), scripted))
        .chain(llm_agents.iter().cloned())
        .collect();
    for (label, agent) in &labelled {
        balances.insert(label.clone(), api.balance(*agent).await.unwrap());
    }
    let model_url = model.as_ref().map(|(url, _)| url.clone());
    let cache_before = match &model_url {
        Some(url) => model_proxy::cache_counters(url).await,
        None => None,
    };
    let gateway_tokens = |text: String| api::prometheus_value(&text, "village_llm_tokens_total");
    let tokens_before = api.metrics().await.ok().and_then(gateway_tokens);

    // The tasks: the LLM ones spread over the LLM agents, each agent one at a time.
    let started = Instant::now();
    let total_bound = started + plan.total;
    let assign = |label: &str, agent: AgentId, brain: &'static str, task: &'static Task, round| {
        let (title, key) = match round {
            1 => (task.title.to_string(), format!("{label}/{}", task.name)),
            n => (
                format!("{} (round {n})", task.title),
                format!("{label}/{}#{n}", task.name),
            ),
        };
        Assignment {
            agent,
            label: label.to_string(),
            brain,
            container: container_name(agent),
            task,
            title,
            key,
        }
    };
    let mut lanes = Vec::new();
    let scripted_work = plan
        .scripted_tasks
        .iter()
        .map(|t| assign("scripted", scripted, "scripted", t, 1))
        .collect();
    lanes.push(lane(
        &api,
        None,
        scripted_work,
        plan.scripted_parallel,
        plan.scripted_deadline,
        total_bound,
    ));
    for (i, (label, agent)) in llm_agents.iter().enumerate() {
        let work = (1..=plan.rounds)
            .flat_map(|round| {
                let mine = plan.llm_tasks.iter().skip(i).step_by(llm_agents.len());
                mine.map(move |t| (round, *t))
            })
            .map(|(round, t)| assign(label, *agent, "llm", t, round))
            .collect();
        lanes.push(lane(
            &api,
            proxy.as_ref(),
            work,
            1,
            plan.llm_deadline,
            total_bound,
        ));
    }
    let expected = plan.scripted_tasks.len()
        + if llm_agents.is_empty() {
            0
        } else {
            plan.llm_tasks.len() * plan.rounds
        };
    let all = futures_util::future::join_all(lanes);
    tokio::pin!(all);
    let outcomes: Vec<Outcome> = loop {
        tokio::select! {
            done = &mut all => break done.into_iter().flatten().collect(),
            () = tokio::time::sleep(PASS_EVERY) => {
                match link.desired().await {
                    Ok(wanted) => {
                        let desired = desired_agents(&wanted.agents);
                        let report = launcher.pass(&desired, std::time::Instant::now()).await;
                        if !report.failed.is_empty() {
                            eprintln!("a reconcile pass failed: {:?}", report.failed);
                        }
                    }
                    Err(error) => eprintln!("the runtime link could not read the desired agents: {error:?}"),
                }
            }
        }
    };
    let took = started.elapsed();

    // The figures' end points.
    let mut spent_micros = BTreeMap::new();
    let mut models = BTreeMap::new();
    for (label, agent) in &labelled {
        let now = api.balance(*agent).await.unwrap();
        spent_micros.insert(label.clone(), balances[label] - now);
        let detail = api.admin_read(&format!("/agents/{agent}")).await.unwrap();
        if let Some(model) = detail["last_llm_call"]["model"].as_str() {
            models.insert(label.clone(), model.to_string());
        }
    }
    let cache = match (&model_url, cache_before) {
        (Some(url), Some((computed, cached))) => model_proxy::cache_counters(url)
            .await
            .map(|(c, k)| (c - computed, k - cached)),
        _ => None,
    };
    let tokens_after = api.metrics().await.ok().and_then(gateway_tokens);
    let facts = figures::RunFacts {
        calls: proxy.as_ref().map(|p| p.calls()).unwrap_or_default(),
        models,
        upstream_model: model
            .as_ref()
            .and_then(|(_, m)| m.clone())
            .unwrap_or_else(|| "-".into()),
        spent_micros,
        cache,
        gateway_tokens: tokens_before.zip(tokens_after).map(|(b, a)| a - b),
        took,
    };
    println!(
        "A1 operator benchmark{}: {} LLM agent(s) (brain llm) and 1 scripted agent, tier artisan (cpu_only_tiers.toml: 400,000 LLM tokens/h, 2 CPUs); LLM task deadline {} s, scripted {} s, total bound {} s",
        if plan.quick { " (quick)" } else { "" },
        llm_agents.len(),
        plan.llm_deadline.as_secs(),
        plan.scripted_deadline.as_secs(),
        plan.total.as_secs()
    );
    figures::print(&outcomes, &facts);
    village::save_logs(&labelled);

    // The harness worked: every task has a verdict, every chat opened.
    assert_eq!(outcomes.len(), expected, "every task gets a verdict");
    let refused: Vec<&str> = outcomes
        .iter()
        .filter(|o| o.stop == Stop::OpenFailed)
        .map(|o| o.note.as_str())
        .collect();
    assert!(
        refused.is_empty(),
        "chats the server did not open: {refused:?}"
    );
    server.stop().await;
}
