//! The reconcile plan on hand-made states: each rule, and that a converged state plans nothing.

use std::collections::BTreeMap;

use shared::AgentId;
use shared::tier::GpuShare;

use super::*;
use crate::spec::{
    APP, LABEL_AGENT, LABEL_APP, LABEL_NODE, LABEL_RUNTIME, LABEL_TIER, container_name,
};

const SEEDLING: Limits = crate::spec::SEEDLING_LIMITS;
const WORKER: Limits = crate::spec::WORKER_LIMITS;
/// The image the test containers were made from.
const IMAGE: &str = "aivillage-agent:0123456789ab";

fn node(name: &str, up: bool) -> NodeState {
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

fn want(id: u64, want: Want) -> DesiredAgent {
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

fn seen(id: u64, node: &str, state: RunState, created_s: i64) -> Seen {
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

fn two_nodes() -> Vec<NodeState> {
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

#[test]
fn a_gpu_change_replaces_the_container_and_full_nodes_leave_agents_unplaced() {
    // A GPU share cannot change live: the container goes and a GPU node takes the agent; with
    // no GPU node the agent is reported unplaced, with the reason.
    let mut gpu = want(1, Want::Running);
    gpu.limits.gpu = GpuShare::Shared;
    let mut nodes = two_nodes();
    nodes[1].capacity.gpus = 1;
    let running = seen(1, "sparky1", RunState::Running, 1);
    let planned = plan(
        std::slice::from_ref(&gpu),
        std::slice::from_ref(&running),
        &nodes,
    );
    assert_eq!(
        planned.actions,
        [
            Action::Remove {
                node: "sparky1".into(),
                name: running.info.name.clone(),
                why: Removal::GpuChanged
            },
            Action::Place {
                agent: AgentId(1),
                node: "sparky2".into()
            }
        ]
    );
    let planned = plan(&[gpu], &[], &two_nodes());
    assert_eq!(planned.unplaced, [(AgentId(1), PlacementError::NoGpuNode)]);
}

#[test]
fn an_egress_change_replaces_the_container_either_way() {
    // A container's network cannot change while it exists: gaining egress, or losing it, the
    // container goes and a new one is placed; a container without the label has none, and
    // one that matches is left alone.
    let mut gains = want(1, Want::Running);
    gains.egress = true;
    let without = seen(1, "sparky1", RunState::Running, 1);
    let planned = plan(
        std::slice::from_ref(&gains),
        std::slice::from_ref(&without),
        &two_nodes(),
    );
    assert!(
        matches!(
            planned.actions.as_slice(),
            [
                Action::Remove {
                    why: Removal::EgressChanged,
                    ..
                },
                Action::Place { .. }
            ]
        ),
        "{:?}",
        planned.actions
    );
    let mut with = seen(1, "sparky1", RunState::Running, 1);
    with.info
        .labels
        .insert(LABEL_EGRESS.to_string(), "true".to_string());
    let loses = want(1, Want::Running);
    let planned = plan(
        std::slice::from_ref(&loses),
        std::slice::from_ref(&with),
        &two_nodes(),
    );
    assert!(
        matches!(
            planned.actions.first(),
            Some(Action::Remove {
                why: Removal::EgressChanged,
                ..
            })
        ),
        "{:?}",
        planned.actions
    );
    let planned = plan(&[gains], &[with], &two_nodes());
    assert_eq!(planned.actions, []);
}

#[test]
fn containers_on_an_older_image_are_replaced_a_few_a_pass() {
    // Three agents on a stale image: two are removed and placed again this pass, the third
    // waits for the next; containers on the current image are left alone.
    let desired: Vec<_> = (1..=3).map(|id| want(id, Want::Running)).collect();
    let stale: Vec<Seen> = (1..=3)
        .map(|id| Seen {
            stale_image: true,
            ..seen(id, "sparky1", RunState::Running, 10)
        })
        .collect();
    let planned = plan(&desired, &stale, &two_nodes());
    let replaced: Vec<&Action> = planned
        .actions
        .iter()
        .filter(|action| {
            matches!(
                action,
                Action::Remove {
                    why: Removal::ImageChanged,
                    ..
                }
            )
        })
        .collect();
    assert_eq!(
        replaced.len(),
        IMAGE_ROLLOUT_PER_PASS,
        "{:?}",
        planned.actions
    );
    let placed = planned
        .actions
        .iter()
        .filter(|action| matches!(action, Action::Place { .. }))
        .count();
    assert_eq!(placed, IMAGE_ROLLOUT_PER_PASS, "{:?}", planned.actions);

    let current: Vec<Seen> = (1..=3)
        .map(|id| seen(id, "sparky1", RunState::Running, 10))
        .collect();
    assert_eq!(plan(&desired, &current, &two_nodes()), Plan::default());
}

#[test]
fn a_runtime_change_or_a_sandboxed_tier_change_replaces_the_container() {
    // A tier whose runtime became gVisor: the runc container is replaced. In gVisor, new
    // limits come with a new container (no live update); the same tier keeps it as it is.
    let mut sandboxed = want(1, Want::Running);
    sandboxed.oci_runtime = Some("runsc".into());
    // Made on the engine's default runtime (an empty label).
    let mut plain = seen(1, "sparky1", RunState::Running, 10);
    plain
        .info
        .labels
        .insert(LABEL_RUNTIME.to_string(), String::new());
    let planned = plan(
        std::slice::from_ref(&sandboxed),
        std::slice::from_ref(&plain),
        &two_nodes(),
    );
    assert!(
        matches!(
            planned.actions.first(),
            Some(Action::Remove {
                why: Removal::RuntimeChanged,
                ..
            })
        ),
        "{:?}",
        planned.actions
    );

    let mut in_sandbox = seen(1, "sparky1", RunState::Running, 10);
    in_sandbox.info.labels.extend([
        (LABEL_RUNTIME.to_string(), "runsc".to_string()),
        (LABEL_TIER.to_string(), "seedling".to_string()),
    ]);
    // Limits unknown (an adopted container): no live update is tried in a sandbox.
    in_sandbox.limits = None;
    let planned = plan(
        std::slice::from_ref(&sandboxed),
        std::slice::from_ref(&in_sandbox),
        &two_nodes(),
    );
    assert_eq!(planned, Plan::default());

    let mut promoted = sandboxed.clone();
    promoted.tier = "worker".into();
    promoted.limits = WORKER;
    let planned = plan(&[promoted], &[in_sandbox], &two_nodes());
    assert!(
        matches!(
            planned.actions.as_slice(),
            [
                Action::Remove {
                    why: Removal::SandboxTierChanged,
                    ..
                },
                Action::Place { .. }
            ]
        ),
        "{:?}",
        planned.actions
    );
}

#[test]
fn a_replaced_container_goes_back_to_its_node_and_a_rollout_waits_for_the_unsettled() {
    // Agent 1's container on sparky2 is on an older image: although sparky1 has more room,
    // its new container goes back to sparky2, where its workspace is. While agent 2 has no
    // running container (and agent 4, none at all), no image rollout starts.
    let desired = [
        want(1, Want::Running),
        want(2, Want::Running),
        want(4, Want::Running),
    ];
    let mut old = seen(1, "sparky2", RunState::Running, 10);
    old.stale_image = true;
    let busy = seen(3, "sparky2", RunState::Running, 10);
    let mut with_busy = desired.to_vec();
    with_busy.push(want(3, Want::Running));
    let two = seen(2, "sparky1", RunState::Running, 10);
    let planned = plan(&with_busy, &[old.clone(), busy, two], &two_nodes());
    assert!(
        planned.actions.contains(&Action::Place {
            agent: AgentId(1),
            node: "sparky2".into()
        }),
        "{:?}",
        planned.actions
    );

    let exited = seen(2, "sparky1", RunState::Exited, 10);
    let planned = plan(&desired, &[old, exited], &two_nodes());
    assert!(
        !planned.actions.iter().any(|action| matches!(
            action,
            Action::Remove {
                why: Removal::ImageChanged,
                ..
            }
        )),
        "{:?}",
        planned.actions
    );
}

#[test]
fn a_container_without_a_runtime_label_is_not_replaced_for_it() {
    // Made before the label existed: whatever its runtime, it is kept (and, sandboxed with
    // the same tier and limits, left as it is).
    let mut sandboxed = want(1, Want::Running);
    sandboxed.oci_runtime = Some("runsc".into());
    let mut older = seen(1, "sparky1", RunState::Running, 10);
    older
        .info
        .labels
        .insert(LABEL_TIER.to_string(), "seedling".to_string());
    assert_eq!(
        plan(
            std::slice::from_ref(&sandboxed),
            std::slice::from_ref(&older),
            &two_nodes()
        ),
        Plan::default()
    );
    // The same tier with other limits (the operator edited it): a new sandbox.
    let mut edited = sandboxed;
    edited.limits = WORKER;
    let planned = plan(&[edited], &[older], &two_nodes());
    assert!(
        matches!(
            planned.actions.first(),
            Some(Action::Remove {
                why: Removal::SandboxTierChanged,
                ..
            })
        ),
        "{:?}",
        planned.actions
    );
}
