//! Containers the plan replaces rather than changes: a GPU share, egress, an OCI runtime, a
//! brain or a sandbox's limits that cannot change live, and an older agent image (a few a
//! pass, back to the same node).

use shared::AgentId;
use shared::runtime::AgentBrain;
use shared::tier::GpuShare;

use super::super::*;
use super::{WORKER, seen, two_nodes, want};
use crate::spec::{LABEL_BRAIN, LABEL_RUNTIME, LABEL_TIER};

/// Why each container the plan removes goes, in order.
fn removals(planned: &Plan) -> Vec<Removal> {
    planned
        .actions
        .iter()
        .filter_map(|action| match action {
            Action::Remove { why, .. } => Some(*why),
            _ => None,
        })
        .collect()
}

/// How many containers the plan places.
fn placements(planned: &Plan) -> usize {
    planned
        .actions
        .iter()
        .filter(|action| matches!(action, Action::Place { .. }))
        .count()
}

/// The plan for one wanted agent and one container of it.
fn plan_one(wanted: &DesiredAgent, container: &Seen) -> Plan {
    plan(
        std::slice::from_ref(wanted),
        std::slice::from_ref(container),
        &two_nodes(),
    )
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
    let planned = plan_one(&gains, &without);
    assert_eq!(removals(&planned), [Removal::EgressChanged]);
    assert_eq!(placements(&planned), 1, "{:?}", planned.actions);
    let mut with = seen(1, "sparky1", RunState::Running, 1);
    with.info
        .labels
        .insert(LABEL_EGRESS.to_string(), "true".to_string());
    let loses = want(1, Want::Running);
    assert_eq!(removals(&plan_one(&loses, &with)), [Removal::EgressChanged]);
    assert_eq!(plan_one(&gains, &with).actions, []);
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
    assert_eq!(
        removals(&planned),
        [Removal::ImageChanged; IMAGE_ROLLOUT_PER_PASS]
    );
    assert_eq!(placements(&planned), IMAGE_ROLLOUT_PER_PASS);

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
    assert_eq!(
        removals(&plan_one(&sandboxed, &plain)),
        [Removal::RuntimeChanged]
    );

    let mut in_sandbox = seen(1, "sparky1", RunState::Running, 10);
    in_sandbox.info.labels.extend([
        (LABEL_RUNTIME.to_string(), "runsc".to_string()),
        (LABEL_TIER.to_string(), "seedling".to_string()),
    ]);
    // Limits unknown (an adopted container): no live update is tried in a sandbox.
    in_sandbox.limits = None;
    assert_eq!(plan_one(&sandboxed, &in_sandbox), Plan::default());

    let mut promoted = sandboxed.clone();
    promoted.tier = "worker".into();
    promoted.limits = WORKER;
    let planned = plan_one(&promoted, &in_sandbox);
    assert_eq!(removals(&planned), [Removal::SandboxTierChanged]);
    assert_eq!(placements(&planned), 1, "{:?}", planned.actions);
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
        !removals(&planned).contains(&Removal::ImageChanged),
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
    assert_eq!(plan_one(&sandboxed, &older), Plan::default());
    // The same tier with other limits (the operator edited it): a new sandbox.
    let mut edited = sandboxed;
    edited.limits = WORKER;
    assert_eq!(
        removals(&plan_one(&edited, &older)),
        [Removal::SandboxTierChanged]
    );
}

/// Agent 1's running container on `node`, labelled with `brain` when one is given.
fn made_for(brain: Option<&str>, node: &str) -> Seen {
    let mut container = seen(1, node, RunState::Running, 10);
    if let Some(brain) = brain {
        container
            .info
            .labels
            .insert(LABEL_BRAIN.to_string(), brain.to_string());
    }
    container
}

#[test]
fn a_brain_switch_replaces_the_container_on_its_node() {
    // A container made for the scripted brain of an agent now wanting the LLM one is removed
    // and placed again on sparky2, its workspace's node, though the tie would go to sparky1.
    let mut llm = want(1, Want::Running);
    llm.brain = AgentBrain::Llm;
    let scripted = made_for(Some("scripted"), "sparky2");
    assert_eq!(
        plan_one(&llm, &scripted).actions,
        [
            Action::Remove {
                node: "sparky2".into(),
                name: scripted.info.name.clone(),
                why: Removal::BrainChanged
            },
            Action::Place {
                agent: AgentId(1),
                node: "sparky2".into()
            }
        ]
    );
}

#[test]
fn a_container_made_for_the_wanted_brain_is_kept() {
    // The same brain on the label and in the want: nothing to do, for either brain.
    let mut llm = want(1, Want::Running);
    llm.brain = AgentBrain::Llm;
    assert_eq!(
        plan_one(&llm, &made_for(Some("llm"), "sparky1")),
        Plan::default()
    );
    let scripted = want(1, Want::Running);
    assert_eq!(
        plan_one(&scripted, &made_for(Some("scripted"), "sparky1")),
        Plan::default()
    );
}

#[test]
fn a_container_without_a_brain_label_is_not_replaced_for_it() {
    // Made before the label existed: its brain is unknown, so it is kept whatever is wanted.
    let mut llm = want(1, Want::Running);
    llm.brain = AgentBrain::Llm;
    assert_eq!(plan_one(&llm, &made_for(None, "sparky1")), Plan::default());
}
