//! The kill switch and agent tokens on a real engine: a fresh token written into each
//! container before every start, and kills (of running and of paused containers) that leave
//! the container for review without a restart.

use std::sync::Mutex;
use std::time::Instant;

use runtime::backend::docker::DockerBackend;
use runtime::backend::{ContainerBackend, RunState};
use runtime::plan::{Action, Want};
use runtime::reconcile::{AGENT_TOKEN_PATH, Reconciler, TokenSource};
use runtime::spec::container_name;
use shared::AgentId;

use crate::engine::{
    CAPACITY, CleanUp, SEEDLING, busybox_recipe, desired, engine, exec, fresh_agent, fresh_node,
    launch,
};

/// Hands out `token-1`, `token-2`, ... and remembers whom for.
#[derive(Default)]
struct CountingTokens {
    issued: Mutex<Vec<AgentId>>,
}

impl TokenSource for CountingTokens {
    async fn fresh_token(&self, agent: AgentId) -> Result<Option<String>, String> {
        let mut issued = self.issued.lock().unwrap();
        issued.push(agent);
        Ok(Some(format!("token-{}", issued.len())))
    }
}

async fn reconciler(node: &str) -> Option<Reconciler<DockerBackend, CountingTokens>> {
    let backend = engine(node).await?;
    let image = backend.ensure_image(&busybox_recipe()).await.unwrap();
    Some(
        Reconciler::new(vec![(backend, CAPACITY)], launch(image))
            .with_tokens(CountingTokens::default()),
    )
}

fn token_in(agent: AgentId) -> (String, String) {
    let name = container_name(agent);
    let (ok, token) = exec(&name, &["/bin/busybox", "cat", AGENT_TOKEN_PATH]);
    assert!(ok, "{token}");
    let (ok, mode) = exec(
        &name,
        &["/bin/busybox", "stat", "-c", "%a", AGENT_TOKEN_PATH],
    );
    assert!(ok, "{mode}");
    (token, mode.trim().to_string())
}

#[tokio::test]
async fn every_start_gets_a_fresh_token_in_a_file_only_root_reads() {
    // The placement writes token-1 (mode 400) before the start; after a stop, the restart
    // writes token-2 over it; the environment names the file and holds no token.
    let node = fresh_node("tokens");
    let Some(mut reconciler) = reconciler(&node).await else {
        return;
    };
    let agent = fresh_agent();
    let _clean = CleanUp(vec![agent]);
    let running = [desired(agent, Want::Running, SEEDLING)];
    let report = reconciler.pass(&running, Instant::now()).await;
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(token_in(agent), ("token-1".to_string(), "400".to_string()));
    let (_, env) = exec(&container_name(agent), &["/bin/busybox", "env"]);
    assert!(
        env.contains(&format!("VILLAGE_AGENT_TOKEN_FILE={AGENT_TOKEN_PATH}")),
        "{env}"
    );
    assert!(!env.contains("token-1"), "{env}");

    let stopped = [desired(agent, Want::Stopped, SEEDLING)];
    reconciler.pass(&stopped, Instant::now()).await;
    let report = reconciler.pass(&running, Instant::now()).await;
    assert!(
        report
            .done
            .iter()
            .any(|a| matches!(a, Action::Start { .. })),
        "{:?}",
        report.done
    );
    assert_eq!(token_in(agent).0, "token-2");
}

#[tokio::test]
async fn a_kill_ends_running_and_paused_containers_at_once_and_keeps_them() {
    // Killed is reached from running and from paused in one pass each, with SIGKILL's exit
    // code; the container stays (for review) and later passes do nothing, not even a restart.
    let node = fresh_node("kill");
    let Some(mut reconciler) = reconciler(&node).await else {
        return;
    };
    let (running, paused) = (fresh_agent(), fresh_agent());
    let _clean = CleanUp(vec![running, paused]);
    let first = [
        desired(running, Want::Running, SEEDLING),
        desired(paused, Want::Paused, SEEDLING),
    ];
    let report = reconciler.pass(&first, Instant::now()).await;
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    let killed = [
        desired(running, Want::Killed, SEEDLING),
        desired(paused, Want::Killed, SEEDLING),
    ];
    let report = reconciler.pass(&killed, Instant::now()).await;
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(
        report
            .done
            .iter()
            .filter(|a| matches!(a, Action::Kill { .. }))
            .count(),
        2,
        "{:?}",
        report.done
    );
    let backend = engine(&node).await.unwrap();
    for agent in [running, paused] {
        let details = backend
            .inspect(&container_name(agent))
            .await
            .unwrap()
            .expect("kept for review");
        assert_eq!(details.info.state, RunState::Exited, "{agent}");
        assert_eq!(details.exit_code, Some(137), "{agent}");
    }
    let again = reconciler.pass(&killed, Instant::now()).await;
    assert!(again.done.is_empty(), "{:?}", again.done);
}
