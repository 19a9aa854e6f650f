//! Placement, node loss and rescheduling across two real engines: the machine's (sparky1) and
//! a second one on its own socket (sparky2).

use std::time::Instant;

use runtime::backend::docker::DockerBackend;
use runtime::backend::{ContainerBackend, RunState};
use runtime::plan::{Action, Removal, Want};
use runtime::reconcile::{DOWN_AFTER_FAILED_CALLS, Reconciler};
use shared::AgentId;

use crate::engine::{CAPACITY, CleanUp, SEEDLING, desired, fresh_agent, launch};
use crate::second_engine::TwoEngines;

/// Every running container of `agent` on either engine.
async fn running_on(agent: AgentId, nodes: &[&DockerBackend]) -> Vec<String> {
    let mut found = Vec::new();
    for backend in nodes {
        for info in backend.list().await.unwrap() {
            if info.agent() == Some(agent) && info.state == RunState::Running {
                found.push(backend.node().to_string());
            }
        }
    }
    found
}

#[tokio::test]
async fn a_lost_node_s_agents_move_and_never_run_twice_when_it_returns() {
    // Four agents spread two and two; sparky2 stops answering: its agents wait while it may
    // still come back, move to sparky1 once it counts as down, and when it returns (its old
    // containers still running) the old ones are removed, so each agent runs exactly once.
    let Some(TwoEngines {
        node1,
        node2,
        sparky1,
        sparky2,
        mut second,
        image,
    }) = TwoEngines::start("two").await
    else {
        return;
    };
    let observers = (sparky1.clone(), sparky2.clone());

    let agents: Vec<AgentId> = (0..4).map(|_| fresh_agent()).collect();
    let _clean = CleanUp(agents.clone());
    let desired: Vec<_> = agents
        .iter()
        .map(|agent| desired(*agent, Want::Running, SEEDLING))
        .collect();
    let mut reconciler = Reconciler::new(
        vec![(sparky1, CAPACITY), (sparky2, CAPACITY)],
        launch(image),
    );
    let first = reconciler.pass(&desired, Instant::now()).await;
    assert!(first.failed.is_empty(), "{:?}", first.failed);
    let nodes = [&observers.0, &observers.1];
    let mut on_two = Vec::new();
    for agent in &agents {
        let places = running_on(*agent, &nodes).await;
        assert_eq!(places.len(), 1, "{agent:?}: {places:?}");
        if places[0] == node2 {
            on_two.push(*agent);
        }
    }
    assert_eq!(on_two.len(), 2, "spread two and two");

    second.stop();
    for pass in 1..DOWN_AFTER_FAILED_CALLS {
        let report = reconciler.pass(&desired, Instant::now()).await;
        assert_eq!(report.unreachable.len(), 1, "pass {pass}: {report:?}");
        assert!(report.down.is_empty());
        assert!(
            !report
                .done
                .iter()
                .any(|a| matches!(a, Action::Place { .. })),
            "pass {pass}: nothing is placed while sparky2 may come back: {:?}",
            report.done
        );
    }
    let moved = reconciler.pass(&desired, Instant::now()).await;
    assert_eq!(moved.down, std::slice::from_ref(&node2));
    let placed: Vec<_> = moved
        .done
        .iter()
        .filter_map(|action| match action {
            Action::Place { agent, node } if *node == node1 => Some(*agent),
            _ => None,
        })
        .collect();
    assert_eq!(placed.len(), 2, "{:?}", moved);
    assert!(placed.iter().all(|agent| on_two.contains(agent)));

    second.restart();
    second.wait_ready().await;
    let back = reconciler.pass(&desired, Instant::now()).await;
    assert!(back.failed.is_empty(), "{:?}", back.failed);
    let duplicates = back
        .done
        .iter()
        .filter(|action| {
            matches!(action, Action::Remove { why: Removal::Duplicate, node, .. } if *node == node2)
        })
        .count();
    assert_eq!(duplicates, 2, "{:?}", back.done);
    for agent in &agents {
        let places = running_on(*agent, &nodes).await;
        assert_eq!(
            places,
            std::slice::from_ref(&node1),
            "{agent:?} runs once, on sparky1"
        );
    }
    assert!(
        reconciler
            .pass(&desired, Instant::now())
            .await
            .done
            .is_empty()
    );
}
