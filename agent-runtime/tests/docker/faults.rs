//! Faults a node can show, each reported with a clear reason that names the node, and none
//! leaving anything behind.

use std::time::Duration;

use runtime::backend::docker::DockerBackend;
use runtime::backend::{BackendError, ContainerBackend};
use runtime::spec::Limits;
use shared::tier::GpuShare;

use crate::engine::{CleanUp, SEEDLING, engine, fresh_agent, fresh_node, spec, started};

#[tokio::test]
async fn a_missing_image_is_named_and_no_container_is_left() {
    // The refusal names the image; nothing by the agent's name exists afterwards.
    let node = fresh_node("noimage");
    let Some(backend) = engine(&node).await else {
        return;
    };
    let agent = fresh_agent();
    let _clean = CleanUp(vec![agent]);
    let wanted = spec(agent, &node, "aivillage-agent:0000deadbeef", SEEDLING);
    match backend.create(&wanted).await {
        Err(BackendError::NotFound { node: at, name }) => {
            assert_eq!(at, node);
            assert_eq!(name, "aivillage-agent:0000deadbeef");
        }
        other => panic!("expected the image to be missing, got {other:?}"),
    }
    assert!(backend.inspect(&wanted.name()).await.unwrap().is_none());
}

#[tokio::test]
async fn an_engine_that_is_not_there_is_reported_with_its_node() {
    // A socket that does not exist, a closed port and an unknown scheme each fail with the
    // node's name and without waiting out the call limit.
    let limit = Duration::from_secs(5);
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    for endpoint in [
        "unix:///nonexistent/docker.sock".to_string(),
        format!("tcp://{closed}"),
        "ssh://sparky9".to_string(),
    ] {
        match DockerBackend::connect("sparky9", &endpoint, limit).await {
            Err(error @ BackendError::Unreachable { .. }) => {
                assert!(error.to_string().contains("sparky9"), "{error}");
            }
            other => panic!("{endpoint}: expected unreachable, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_gpu_request_on_a_node_without_the_toolkit_is_refused_in_the_engines_words() {
    // The engine's reason reaches the caller; the failed container is removable.
    let node = fresh_node("gpu");
    let Some(backend) = engine(&node).await else {
        return;
    };
    if std::path::Path::new("/usr/bin/nvidia-container-runtime-hook").exists() {
        eprintln!("SKIPPED: this node has the NVIDIA toolkit");
        return;
    }
    let agent = fresh_agent();
    let _clean = CleanUp(vec![agent]);
    let image = backend
        .ensure_image(&crate::engine::busybox_recipe())
        .await
        .unwrap();
    let gpu = Limits {
        gpu: GpuShare::Shared,
        ..SEEDLING
    };
    let wanted = spec(agent, &node, &image, gpu);
    backend.create(&wanted).await.unwrap();
    match backend.start(&wanted.name()).await {
        Err(error @ BackendError::Refused { .. }) => {
            let text = error.to_string();
            assert!(text.contains(&node) && text.contains("nvidia"), "{text}");
        }
        other => panic!("expected the GPU request to be refused, got {other:?}"),
    }
    backend.remove(&wanted.name()).await.unwrap();
    assert!(backend.inspect(&wanted.name()).await.unwrap().is_none());
}

#[tokio::test]
async fn bad_limits_and_missing_containers_change_nothing() {
    // Limits the engine would refuse are refused first and the running limits stay; calls on
    // a container that does not exist say so.
    let node = fresh_node("bad");
    let Some(backend) = engine(&node).await else {
        return;
    };
    let agent = fresh_agent();
    let _clean = CleanUp(vec![agent]);
    let running = started(&backend, agent, SEEDLING).await;
    let tiny = Limits {
        memory_mib: 1,
        ..SEEDLING
    };
    assert!(matches!(
        backend.update_limits(&running.name(), &tiny).await,
        Err(BackendError::Spec(_))
    ));
    let details = backend.inspect(&running.name()).await.unwrap().unwrap();
    assert_eq!(details.memory_bytes, SEEDLING.memory_bytes());

    let ghost = runtime::spec::container_name(fresh_agent());
    for result in [
        backend.pause(&ghost).await,
        backend.update_limits(&ghost, &SEEDLING).await,
        backend.start(&ghost).await,
    ] {
        assert!(
            matches!(result, Err(BackendError::NotFound { ref name, .. }) if *name == ghost),
            "{result:?}"
        );
    }
    backend.remove(&ghost).await.unwrap();
}

#[tokio::test]
async fn a_container_that_keeps_dying_is_restarted_then_held_back_while_others_go_on() {
    // An agent whose container dies is started again on the next pass; dying again at once, it
    // waits out the backoff (reported backing off, nothing started) while a healthy agent on
    // the same node keeps running untouched.
    use std::time::Instant;

    use runtime::backend::RunState;
    use runtime::plan::{Action, Want};
    use runtime::reconcile::Reconciler;
    use runtime::spec::container_name;

    use crate::engine::{CAPACITY, busybox_recipe, desired, launch};

    let node = fresh_node("crashloop");
    let Some(backend) = engine(&node).await else {
        return;
    };
    let (crashing, healthy) = (fresh_agent(), fresh_agent());
    let _clean = CleanUp(vec![crashing, healthy]);
    let image = backend.ensure_image(&busybox_recipe()).await.unwrap();
    let mut reconciler = Reconciler::new(vec![(backend.clone(), CAPACITY)], launch(image));
    let wanted = [
        desired(crashing, Want::Running, SEEDLING),
        desired(healthy, Want::Running, SEEDLING),
    ];
    reconciler.pass(&wanted, Instant::now()).await;
    // Killed from outside, restarted, and killed again before the backoff ran out.
    let kill = |agent| {
        std::process::Command::new("docker")
            .args(["kill", &container_name(agent)])
            .output()
            .unwrap()
    };
    kill(crashing);
    let restarted = reconciler.pass(&wanted, Instant::now()).await;
    assert!(
        restarted
            .done
            .iter()
            .any(|a| matches!(a, Action::Start { agent, .. } if *agent == crashing)),
        "{:?}",
        restarted.done
    );
    kill(crashing);
    let held = reconciler.pass(&wanted, Instant::now()).await;
    assert_eq!(held.backing_off, vec![crashing], "{held:?}");
    assert!(held.done.is_empty(), "{:?}", held.done);
    assert!(held.failed.is_empty(), "{:?}", held.failed);
    let state = |agent| {
        let backend = backend.clone();
        async move {
            backend
                .inspect(&container_name(agent))
                .await
                .unwrap()
                .unwrap()
                .info
                .state
        }
    };
    assert_eq!(state(crashing).await, RunState::Exited);
    assert_eq!(state(healthy).await, RunState::Running);
}
