//! End to end on the real engine: a village server in this process, the launcher's reconcile
//! passes with its server link, and two agents living in hardened containers with the
//! scripted brain, reaching the server only through its API socket. They move and post; a
//! person's reward raises one agent's tier and its container's CPU limit changes live; the
//! launcher's reports show in the agent's status; a person's command runs in the agent's
//! container, is recorded in its transcript and answered with its output; the token file is
//! gone once the agent read it; a quarantine kills its container and its token stops working.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use reqwest::StatusCode;
use runtime::backend::ContainerBackend;
use runtime::backend::docker::DockerBackend;
use runtime::backend::{ContainerDetails, RunState};
use runtime::desired::desired_agents;
use runtime::hardening::deviations;
use runtime::launcher::reports::Reporter;
use runtime::launcher::server_link::ServerLink;
use runtime::plan::Action;
use runtime::reconcile::{AGENT_TOKEN_PATH, Launch, PassReport, Reconciler, TokenSource};
use runtime::spec::{ContainerSpec, Network, container_name};
use serde_json::{Value, json};
use shared::AgentId;
use shared::runtime::AgentBrain;

use crate::engine::{CAPACITY, CleanUp, container_env, engine, fresh_node};
use crate::village_server::{
    ONE_VILLAGE_ON_THE_ENGINE, TestServer, agent_launch, assert_no_other_village_on_the_engine,
};

/// The agents' pause between steps: short, so the test sees them act within seconds.
const STEP_MS: &str = "100";

/// The launcher's tokens from the server link, the last one per agent remembered: the agent
/// removes its token file once read, so the test cannot copy it out of the container.
struct Recording {
    link: Arc<ServerLink>,
    issued: Mutex<HashMap<AgentId, String>>,
}

impl TokenSource for Recording {
    async fn fresh_token(&self, agent: AgentId) -> Result<Option<String>, String> {
        let token = self.link.fresh_token(agent).await?;
        if let Some(token) = &token {
            self.issued.lock().unwrap().insert(agent, token.clone());
        }
        Ok(token)
    }
}

/// One pass with what the server wants now.
pub async fn pass<T: TokenSource>(
    launcher: &mut Reconciler<DockerBackend, T>,
    link: &ServerLink,
) -> PassReport {
    let desired = desired_agents(&link.desired().await.unwrap().agents);
    let report = launcher.pass(&desired, Instant::now()).await;
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert!(report.unplaced.is_empty(), "{:?}", report.unplaced);
    report
}

async fn details(backend: &DockerBackend, agent: AgentId) -> ContainerDetails {
    backend
        .inspect(&container_name(agent))
        .await
        .unwrap()
        .expect("the agent's container")
}

/// The spec the launcher made for `agent` with `brain`, for the hardening check.
fn spec_of(
    launch: &Launch,
    agent: AgentId,
    brain: AgentBrain,
    node: &str,
    found: &ContainerDetails,
) -> ContainerSpec {
    let mut env = launch.env.clone();
    env.insert("VILLAGE_AGENT_ID".into(), agent.0.to_string());
    env.insert("VILLAGE_AGENT_TOKEN_FILE".into(), AGENT_TOKEN_PATH.into());
    ContainerSpec {
        agent,
        node: node.to_string(),
        tier: "seedling".into(),
        image: launch.image.clone(),
        command: launch.command.clone(),
        env,
        limits: runtime::spec::Limits {
            cpu_millicores: u32::try_from(found.nano_cpus / 1_000_000).unwrap(),
            memory_mib: u32::try_from(found.memory_bytes >> 20).unwrap(),
            pids_max: u32::try_from(found.pids_limit).unwrap(),
            gpu: shared::tier::GpuShare::None,
        },
        network: Network::None,
        egress: false,
        oci_runtime: None,
        brain,
        api_socket_dir: launch.api_socket_dir.clone(),
    }
}

/// How agents run in these tests: the real agent image on no network, through the socket,
/// stepping every [`STEP_MS`].
pub async fn village_launch(backend: &DockerBackend, socket_dir: &Path) -> Launch {
    let env = [("VILLAGE_STEP_MS", STEP_MS)];
    agent_launch(backend, "aivillage-agent-test", socket_dir, &env)
        .await
        .0
}

async fn posts_by(server: &TestServer, agent: AgentId) -> Vec<Value> {
    let page = server.get("/board/posts?limit=100").await;
    page["posts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|post| post["author"]["agent_id"] == agent.0)
        .cloned()
        .collect()
}

#[tokio::test]
async fn two_agents_live_in_containers_a_reward_lifts_one_live_and_a_quarantine_ends_it() {
    // The whole path, each step checked through the API or the engine.
    let node = fresh_node("village");
    let Some(backend) = engine(&node).await else {
        return;
    };
    let _one_village = ONE_VILLAGE_ON_THE_ENGINE.lock().await;
    assert_no_other_village_on_the_engine(&node);
    let dir = tempfile::tempdir().unwrap();
    let (server, socket_dir) = TestServer::start_for_containers(dir.path(), |settings| {
        settings.board.agents_post_at_board_only = false;
    })
    .await;
    let link = server.runtime_link().await;
    let launch = village_launch(&backend, &socket_dir).await;
    let tokens = Arc::new(Recording {
        link: link.clone(),
        issued: Mutex::new(HashMap::new()),
    });
    let mut launcher = Reconciler::new(vec![(backend.clone(), CAPACITY)], launch.clone())
        .with_tokens(tokens.clone());
    let ada = json!({"display_name": "Ada Quill", "home": "home-ash", "brain": "scripted"});
    let ada = AgentId(
        server
            .post("/admin/agents", &ada, StatusCode::CREATED)
            .await["agent_id"]
            .as_u64()
            .unwrap(),
    );
    // Ada decides by the rules; Bo thinks with the LLM brain; this server serves no model, so each of its steps falls
    // back to the scripted brain.
    let bo = json!({"display_name": "Bo Finch", "home": "home-rowan", "brain": "llm"});
    let bo = AgentId(
        server.post("/admin/agents", &bo, StatusCode::CREATED).await["agent_id"]
            .as_u64()
            .unwrap(),
    );
    let _clean = CleanUp(vec![ada, bo]);
    let start_ada = server.get(&format!("/agents/{ada}")).await["pos"].clone();

    // Placed, hardened (the socket folder its only host path, read-only), running.
    let report = pass(&mut launcher, &link).await;
    let placed = report
        .done
        .iter()
        .filter(|a| matches!(a, Action::Place { .. }))
        .count();
    assert_eq!(placed, 2, "{:?}", report.done);
    for (agent, brain) in [(ada, AgentBrain::Scripted), (bo, AgentBrain::Llm)] {
        let found = details(&backend, agent).await;
        assert_eq!(found.info.state, RunState::Running);
        let spec = spec_of(&launch, agent, brain, &node, &found);
        assert_eq!(deviations(&found, &spec), Vec::<String>::new());
    }

    let env = container_env;
    assert!(env(bo).contains("VILLAGE_BRAIN=llm"), "{}", env(bo));
    assert!(env(ada).contains("VILLAGE_BRAIN=scripted"), "{}", env(ada));

    // They live: Ada walks away from home, both post on the board through the socket.
    server
        .eventually("Ada to leave her home tile", async || {
            let pos = server.get(&format!("/agents/{ada}")).await["pos"].clone();
            (pos != start_ada).then_some(())
        })
        .await;
    let post = server
        .eventually("Ada to post", async || {
            posts_by(&server, ada)
                .await
                .first()
                .map(|p| p["id"].clone())
        })
        .await;
    server
        .eventually("Bo to post", async || {
            (!posts_by(&server, bo).await.is_empty()).then_some(())
        })
        .await;

    // A person asks Ada to run a command: it runs in her container (busybox's shell), is in
    // her transcript, and her answer quotes what it printed and names the call.
    let human = server.account("hana", "human").await;
    let hana = server.login("hana", &human).await;
    let ask = json!({"title": "Which system?", "body": "Ada, please run `uname -s; pwd`.",
                     "audience": format!("agent:{ada}")});
    let asked = server
        .post_as(Some(&hana), "/board/posts", &ask, StatusCode::CREATED)
        .await["id"]
        .clone();
    let answer = server
        .eventually("Ada's answer with the output", async || {
            server.reply_by(&asked, ada).await
        })
        .await;
    assert!(answer.contains("```\nLinux\n/workspace\n```"), "{answer}");
    let calls = server.get(&format!("/agents/{ada}/tool-calls")).await;
    assert_eq!(calls["calls"][0]["input"], "uname -s; pwd", "{calls}");
    assert_eq!(calls["calls"][0]["exit_code"], 0, "{calls}");
    assert!(answer.contains(calls["calls"][0]["call_id"].as_str().unwrap()));

    // Reports reach the agent's status: node, state and memory; CPU from the second sample.
    let mut reporter = Reporter::default();
    for _ in 0..2 {
        let report = pass(&mut launcher, &link).await;
        let reports = reporter.collect(&report, &launcher).await;
        assert_eq!(link.send_reports(&reports).await.unwrap(), 2);
    }
    let view = server.get(&format!("/admin/agents/{ada}/control")).await;
    let seen = &view["container_report"]["report"];
    assert_eq!(seen["node"], node.as_str(), "{view}");
    assert_eq!(seen["state"], "running");
    assert!(seen["memory_bytes"].as_u64().unwrap() > 0, "{view}");
    assert!(seen["cpu_millicores"].is_u64(), "{view}");

    // A person's reward makes Ada a worker: the next pass raises her CPU limit live.
    let before = details(&backend, ada).await;
    assert_eq!(before.nano_cpus, 500_000_000);
    let reward = json!({"transfer_id": "r1", "agent_id": ada.0, "amount_micros": 10_000_000,
                        "reason": "helpful", "post_id": post});
    server
        .post_as(Some(&hana), "/economy/reward", &reward, StatusCode::CREATED)
        .await;
    let report = pass(&mut launcher, &link).await;
    assert!(
        report
            .done
            .iter()
            .any(|a| matches!(a, Action::UpdateLimits { agent, .. } if *agent == ada)),
        "{:?}",
        report.done
    );
    let after = details(&backend, ada).await;
    assert_eq!(after.nano_cpus, 1_000_000_000);
    assert_eq!(after.memory_bytes, 1024 << 20);
    assert_eq!(after.started_at, before.started_at, "no restart");

    // A quarantine: the token inside stops working at once; the next pass kills the container
    // and keeps it; Bo lives on.
    // The agent removed its token file once it read it: an operator's copy finds nothing.
    let cp = std::process::Command::new("docker")
        .args(["cp", &format!("{}:{AGENT_TOKEN_PATH}", container_name(ada))])
        .arg(dir.path().join("token"))
        .output()
        .unwrap();
    assert!(
        !cp.status.success(),
        "the token file is still in the container"
    );
    let token = tokens.issued.lock().unwrap()[&ada].clone();
    let perception = format!("{}/agents/{ada}/perception", server.url());
    // A container token works only through the agent door: the socket the container has.
    let client = reqwest::Client::builder()
        .unix_socket(socket_dir.join("api.sock"))
        .build()
        .unwrap();
    let status = |token: String| {
        let request = client.get(&perception).bearer_auth(token);
        async move { request.send().await.unwrap().status() }
    };
    assert_eq!(status(token.clone()).await, StatusCode::OK);
    let order = json!({"action": "quarantine", "reason": "end-to-end test"});
    server
        .post(
            &format!("/admin/agents/{ada}/control"),
            &order,
            StatusCode::OK,
        )
        .await;
    assert_eq!(status(token).await, StatusCode::UNAUTHORIZED);
    // The pass kills the container, unless the agent, refused with its dead token, already
    // ended itself (exit 77); either way nothing starts it again.
    let report = pass(&mut launcher, &link).await;
    let killed_by_the_pass = match report.done.as_slice() {
        [] => false,
        [Action::Kill { agent, .. }] if *agent == ada => true,
        other => panic!("the pass did more than kill Ada: {other:?}"),
    };
    let killed = details(&backend, ada).await;
    assert_eq!(killed.info.state, RunState::Exited);
    let reports = reporter.collect(&report, &launcher).await;
    link.send_reports(&reports).await.unwrap();
    let report = pass(&mut launcher, &link).await;
    assert!(report.done.is_empty(), "{:?}", report.done);
    let reports = reporter.collect(&report, &launcher).await;
    link.send_reports(&reports).await.unwrap();
    let view = server.get(&format!("/admin/agents/{ada}/control")).await;
    assert_eq!(
        view["container_report"]["report"]["state"], "exited",
        "{view}"
    );
    let code = view["container_report"]["report"]["exit_code"].as_i64();
    // Killed (137), or, when the pass found it already ended, refused (77).
    let expected = if killed_by_the_pass { 137 } else { 77 };
    assert!(
        code == Some(expected) || (killed_by_the_pass && code == Some(77)),
        "{view}"
    );
    assert_eq!(view["hold"], "quarantine");
    assert_eq!(details(&backend, bo).await.info.state, RunState::Running);
    server.stop().await;
}
