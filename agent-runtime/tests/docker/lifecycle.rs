//! The container life cycle on a real engine: idempotent creation, listing by label, live
//! limit changes, pause, stop, kill and removal.

use std::process::Command;
use std::time::Duration;

use runtime::backend::{ContainerBackend, RunState};
use runtime::spec::{LABEL_AGENT, LABEL_NODE, workspace_volume};

use crate::engine::{
    CleanUp, SEEDLING, WORKER, busybox_recipe, engine, exec, fresh_agent, fresh_node, spec, started,
};

const STOP_GRACE: Duration = Duration::from_secs(10);

#[tokio::test]
async fn creating_twice_makes_one_container_and_the_listing_finds_it_by_label() {
    // A second create returns the first container; the node's listing holds exactly the
    // containers labelled with it, each with its agent.
    let node = fresh_node("list");
    let Some(backend) = engine(&node).await else {
        return;
    };
    let (first, second) = (fresh_agent(), fresh_agent());
    let _clean = CleanUp(vec![first, second]);
    let image = backend.ensure_image(&busybox_recipe()).await.unwrap();
    let one = spec(first, &node, &image, SEEDLING);
    let id = backend.create(&one).await.unwrap();
    assert_eq!(
        backend.create(&one).await.unwrap(),
        id,
        "create is idempotent"
    );
    backend
        .create(&spec(second, &node, &image, SEEDLING))
        .await
        .unwrap();
    let mut listed = backend.list().await.unwrap();
    listed.sort_by_key(|info| info.agent());
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert_eq!(listed[0].agent(), Some(first));
    assert_eq!(listed[0].id, id);
    assert_eq!(listed[0].state, RunState::Created);
    assert_eq!(listed[1].agent(), Some(second));
    assert!(listed.iter().all(|info| info.node() == Some(node.as_str())));
    assert_eq!(listed[1].labels[LABEL_AGENT], second.0.to_string());
    assert_eq!(listed[1].labels[LABEL_NODE], node);
    // Another node's listing does not see them.
    let other = engine(&fresh_node("list-other")).await.unwrap();
    assert!(other.list().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_tier_change_applies_to_the_running_container_without_a_restart() {
    // CPU, memory and pids change in the engine and in the container's cgroup, while the
    // container keeps its start time and restart count.
    let Some(backend) = engine(&fresh_node("update")).await else {
        return;
    };
    let agent = fresh_agent();
    let _clean = CleanUp(vec![agent]);
    let spec = started(&backend, agent, SEEDLING).await;
    let name = spec.name();
    let before = backend.inspect(&name).await.unwrap().unwrap();
    assert_eq!(before.memory_bytes, SEEDLING.memory_bytes());

    backend.update_limits(&name, &WORKER).await.unwrap();
    let after = backend.inspect(&name).await.unwrap().unwrap();
    assert_eq!(after.info.state, RunState::Running);
    assert_eq!(after.started_at, before.started_at, "no restart");
    assert_eq!(after.restart_count, 0);
    assert_eq!(after.nano_cpus, WORKER.nano_cpus());
    assert_eq!(after.memory_bytes, WORKER.memory_bytes());
    assert_eq!(after.memory_swap_bytes, WORKER.memory_bytes());
    assert_eq!(after.pids_limit, i64::from(WORKER.pids_max));
    // The kernel's view from inside (cgroup v1 or v2).
    let (_, limit) = exec(
        &name,
        &[
            "sh",
            "-c",
            "cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max",
        ],
    );
    assert_eq!(limit.trim(), WORKER.memory_bytes().to_string());
}

#[tokio::test]
async fn pause_resume_stop_start_kill_and_remove_walk_the_states() {
    // Each operation reaches its state; repeating one is not an error; removal keeps the
    // agent's workspace volume.
    let Some(backend) = engine(&fresh_node("states")).await else {
        return;
    };
    let agent = fresh_agent();
    let _clean = CleanUp(vec![agent]);
    let spec = started(&backend, agent, SEEDLING).await;
    let name = spec.name();
    let state = |details: Option<runtime::backend::ContainerDetails>| details.unwrap();

    backend.pause(&name).await.unwrap();
    backend.pause(&name).await.unwrap();
    assert_eq!(
        state(backend.inspect(&name).await.unwrap()).info.state,
        RunState::Paused
    );
    backend.resume(&name).await.unwrap();
    backend.resume(&name).await.unwrap();
    assert_eq!(
        state(backend.inspect(&name).await.unwrap()).info.state,
        RunState::Running
    );

    backend.stop(&name, STOP_GRACE).await.unwrap();
    backend.stop(&name, STOP_GRACE).await.unwrap();
    let stopped = state(backend.inspect(&name).await.unwrap());
    assert_eq!(stopped.info.state, RunState::Exited);
    // The init passed SIGTERM on: an orderly stop, not the kill after the grace period.
    assert_eq!(stopped.exit_code, Some(143), "{stopped:?}");

    backend.start(&name).await.unwrap();
    backend.start(&name).await.unwrap();
    assert_eq!(
        state(backend.inspect(&name).await.unwrap()).info.state,
        RunState::Running
    );
    backend.kill(&name).await.unwrap();
    backend.kill(&name).await.unwrap();
    let killed = state(backend.inspect(&name).await.unwrap());
    assert_eq!(killed.info.state, RunState::Exited);
    assert_eq!(killed.exit_code, Some(137));

    backend.remove(&name).await.unwrap();
    backend.remove(&name).await.unwrap();
    assert!(backend.inspect(&name).await.unwrap().is_none());
    let volume = Command::new("docker")
        .args(["volume", "inspect", &workspace_volume(agent)])
        .output()
        .unwrap();
    assert!(volume.status.success(), "the workspace volume stays");
}
