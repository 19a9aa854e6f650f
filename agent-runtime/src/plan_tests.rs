//! The reconcile plan on hand-made states: each rule, and that a converged state plans nothing.
//! The fixtures here serve the replacement tests too.

use std::collections::BTreeMap;

use shared::AgentId;

use super::*;
use crate::spec::{APP, LABEL_AGENT, LABEL_APP, LABEL_NODE, container_name};

// Replacing a container (GPU, egress, runtime, brain, sandbox limits, image): in their own file.
#[path = "plan_replacement_tests.rs"]
mod replacements;

pub(super) const SEEDLING: Limits = crate::spec::SEEDLING_LIMITS;
pub(super) const WORKER: Limits = crate::spec::WORKER_LIMITS;
/// The image the test containers were made from.
pub(super) const IMAGE: &str = "aivillage-agent:0123456789ab";

pub(super) fn node(name: &str, up: bool) -> NodeState {
    NodeState {
        name: name.into(),
        up,
        capacity: Capacity {
            cpu_millicores: 8000,
            memory_mib: 16_384,
            gpus: 0,
        },
    }
}

pub(super) fn want(id: u64, want: Want) -> DesiredAgent {
    DesiredAgent {
        agent: AgentId(id),
        want,
        tier: "seedling".into(),
        limits: SEEDLING,
        brain: shared::runtime::AgentBrain::Scripted,
        egress: false,
        oci_runtime: None,
    }
}

pub(super) fn seen(id: u64, node: &str, state: RunState, created_s: i64) -> Seen {
    Seen {
        node: node.into(),
        info: ContainerInfo {
            id: format!("{node}-{id}-{created_s}"),
            name: container_name(AgentId(id)),
            state,
            labels: BTreeMap::from([
                (LABEL_APP.to_string(), APP.to_string()),
                (LABEL_AGENT.to_string(), id.to_string()),
                (LABEL_NODE.to_string(), node.to_string()),
            ]),
            created_s,
            image: IMAGE.into(),
        },
        limits: Some(SEEDLING),
        placed: None,
        stale_image: false,
    }
}

pub(super) fn two_nodes() -> Vec<NodeState> {
    vec![node("sparky1", true), node("sparky2", true)]
}

#[test]
fn a_converged_village_plans_nothing() {
    // Running, paused and stopped agents in the states wanted, limits applied: no action.
    let desired = [
        want(1, Want::Running),
        want(2, Want::Paused),
        want(3, Want::Stopped),
    ];
    let seen = [
        seen(1, "sparky1", RunState::Running, 1),
        seen(2, "sparky2", RunState::Paused, 1),
        seen(3, "sparky1", RunState::Exited, 1),
    ];
    assert_eq!(plan(&desired, &seen, &two_nodes()), Plan::default());
}

#[test]
fn missing_containers_are_placed_spread_over_the_nodes() {
    // Four new agents land two on each node; a stopped agent gets no container.
    let desired: Vec<_> = (1..=4)
        .map(|id| want(id, Want::Running))
        .chain([want(5, Want::Stopped)])
        .collect();
    let planned = plan(&desired, &[], &two_nodes());
    let nodes: Vec<_> = planned
        .actions
        .iter()
        .map(|action| match action {
            Action::Place { node, .. } => node.as_str(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(nodes, ["sparky1", "sparky2", "sparky1", "sparky2"]);
}

#[test]
fn each_state_is_moved_toward_the_wanted_one() {
    // Paused → resume, exited → start, running → pause or stop, as wanted.
    let cases = [
        (Want::Running, RunState::Paused, "Resume"),
        (Want::Running, RunState::Exited, "Start"),
        (Want::Running, RunState::Created, "Start"),
        (Want::Paused, RunState::Running, "Pause"),
        (Want::Stopped, RunState::Running, "Stop"),
        (Want::Stopped, RunState::Paused, "Stop"),
    ];
    for (wanted, state, verb) in cases {
        let planned = plan(
            &[want(1, wanted)],
            &[seen(1, "sparky1", state, 1)],
            &two_nodes(),
        );
        assert_eq!(
            planned.actions.len(),
            1,
            "{wanted:?} {state:?}: {planned:?}"
        );
        assert!(
            format!("{:?}", planned.actions[0]).starts_with(verb),
            "{wanted:?} {state:?}: {planned:?}"
        );
    }
}

#[test]
fn a_tier_change_updates_the_live_container_and_unknown_limits_are_applied_again() {
    // New limits reach a running container in place; a container adopted with unknown limits
    // gets them too.
    let mut richer = want(1, Want::Running);
    richer.limits = WORKER;
    let planned = plan(
        &[richer],
        &[seen(1, "sparky1", RunState::Running, 1)],
        &two_nodes(),
    );
    assert_eq!(
        planned.actions,
        [Action::UpdateLimits {
            agent: AgentId(1),
            node: "sparky1".into(),
            limits: WORKER
        }]
    );
    let mut adopted = seen(1, "sparky1", RunState::Running, 1);
    adopted.limits = None;
    let planned = plan(&[want(1, Want::Running)], &[adopted], &two_nodes());
    assert!(matches!(planned.actions[..], [Action::UpdateLimits { .. }]));
}

#[test]
fn orphans_and_containers_of_deleted_agents_are_removed() {
    // A container with no agent label and one whose agent the server no longer lists go.
    let mut unlabelled = seen(9, "sparky1", RunState::Running, 1);
    unlabelled.info.labels.remove(LABEL_AGENT);
    let planned = plan(
        &[want(1, Want::Running)],
        &[
            seen(1, "sparky1", RunState::Running, 1),
            unlabelled,
            seen(7, "sparky2", RunState::Exited, 1),
        ],
        &two_nodes(),
    );
    let removals: Vec<_> = planned
        .actions
        .iter()
        .filter_map(|action| match action {
            Action::Remove { why, node, .. } => Some((*why, node.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(
        removals,
        [
            (Removal::NoAgentLabel, "sparky1"),
            (Removal::UnknownAgent, "sparky2")
        ]
    );
    assert_eq!(planned.actions.len(), 2);
}

#[test]
fn an_agent_on_a_lost_node_is_placed_again_and_never_runs_twice_after() {
    // While sparky1 is down its agent is placed on sparky2; when sparky1 comes back with the
    // old container still running, the newer placement stays and the old one is removed.
    let desired = [want(1, Want::Running)];
    let old = seen(1, "sparky1", RunState::Running, 100);
    let down = vec![node("sparky1", false), node("sparky2", true)];
    let planned = plan(&desired, std::slice::from_ref(&old), &down);
    assert_eq!(
        planned.actions,
        [Action::Place {
            agent: AgentId(1),
            node: "sparky2".into()
        }]
    );
    let new = seen(1, "sparky2", RunState::Running, 200);
    let planned = plan(&desired, &[old.clone(), new.clone()], &two_nodes());
    assert_eq!(
        planned.actions,
        [Action::Remove {
            node: "sparky1".into(),
            name: old.info.name.clone(),
            why: Removal::Duplicate
        }]
    );
    // Created in the same second: the later placement of this launcher stays.
    let (mut early, mut late) = (old.clone(), new);
    late.info.created_s = early.info.created_s;
    (early.placed, late.placed) = (Some(1), Some(2));
    let planned = plan(&desired, &[late, early.clone()], &two_nodes());
    assert!(
        matches!(&planned.actions[..], [Action::Remove { node, .. }] if node == "sparky1"),
        "{planned:?}"
    );
}
