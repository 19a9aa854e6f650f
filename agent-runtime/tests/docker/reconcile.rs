//! Reconcile passes against the real engine: placing, converging, adopting after a launcher
//! restart, sweeping orphans, following the server's wishes and rolling out a new image.

use std::process::Command;
use std::time::Instant;

use runtime::backend::docker::DockerBackend;
use runtime::backend::{ContainerBackend, RunState};
use runtime::plan::{Action, IMAGE_ROLLOUT_PER_PASS, Removal, Want};
use runtime::reconcile::{PassReport, Reconciler};
use runtime::spec::{APP, LABEL_APP, LABEL_NODE, WORKSPACE_PATH, container_name};

use crate::engine::{
    CAPACITY, CleanUp, SEEDLING, WORKER, busybox_recipe, desired, engine, exec, fresh_agent,
    fresh_node, launch,
};

async fn reconciler(node: &str) -> Option<Reconciler<DockerBackend>> {
    let backend = engine(node).await?;
    let image = backend.ensure_image(&busybox_recipe()).await.unwrap();
    Some(Reconciler::new(vec![(backend, CAPACITY)], launch(image)))
}

fn assert_clean(report: &PassReport) {
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert!(report.unplaced.is_empty(), "{:?}", report.unplaced);
    assert!(report.unreachable.is_empty(), "{:?}", report.unreachable);
}

#[tokio::test]
async fn passes_place_converge_and_a_restarted_launcher_adopts_instead_of_duplicating() {
    // First pass creates and starts both agents; the second plans nothing; a new reconciler
    // (a restarted launcher) only re-applies limits to the same containers, which keep
    // running without a restart.
    let node = fresh_node("adopt");
    let Some(mut first) = reconciler(&node).await else {
        return;
    };
    let (a, b) = (fresh_agent(), fresh_agent());
    let _clean = CleanUp(vec![a, b]);
    let wanted = [
        desired(a, Want::Running, SEEDLING),
        desired(b, Want::Paused, SEEDLING),
    ];
    let report = first.pass(&wanted, Instant::now()).await;
    assert_clean(&report);
    assert_eq!(report.done.len(), 2, "{:?}", report.done);
    let backend = engine(&node).await.unwrap();
    let before_a = backend.inspect(&container_name(a)).await.unwrap().unwrap();
    let before_b = backend.inspect(&container_name(b)).await.unwrap().unwrap();
    assert_eq!(before_a.info.state, RunState::Running);
    assert_eq!(before_b.info.state, RunState::Paused);

    let again = first.pass(&wanted, Instant::now()).await;
    assert_clean(&again);
    assert!(again.done.is_empty(), "converged: {:?}", again.done);

    let Some(mut restarted) = reconciler(&node).await else {
        return;
    };
    let adopted = restarted.pass(&wanted, Instant::now()).await;
    assert_clean(&adopted);
    assert!(
        adopted
            .done
            .iter()
            .all(|action| matches!(action, Action::UpdateLimits { .. })),
        "{:?}",
        adopted.done
    );
    let listed = backend.list().await.unwrap();
    assert_eq!(listed.len(), 2, "no duplicates: {listed:?}");
    let after_a = backend.inspect(&container_name(a)).await.unwrap().unwrap();
    assert_eq!(after_a.info.id, before_a.info.id);
    assert_eq!(after_a.started_at, before_a.started_at);
    assert!(
        restarted
            .pass(&wanted, Instant::now())
            .await
            .done
            .is_empty()
    );
}

#[tokio::test]
async fn orphans_are_swept_and_the_servers_wishes_are_followed() {
    // A labelled container with no agent and one of an agent the server does not list are
    // removed; then a pause, a tier change (live) and a quarantine (stop) each arrive.
    let node = fresh_node("sweep");
    let Some(mut reconciler) = reconciler(&node).await else {
        return;
    };
    let (agent, deleted) = (fresh_agent(), fresh_agent());
    let _clean = CleanUp(vec![agent, deleted]);
    let image = busybox_recipe().tag();
    let orphan = format!("aivillage-orphan-{}", agent.0);
    let _orphan_clean = RemoveOnDrop(orphan.clone());
    for (name, extra_label) in [
        (orphan.as_str(), None),
        (
            container_name(deleted).as_str(),
            Some(format!("aivillage.agent_id={}", deleted.0)),
        ),
    ] {
        let mut run = Command::new("docker");
        run.args(["create", "--name", name, "--network", "none"])
            .args(["--label", &format!("{LABEL_APP}={APP}")])
            .args(["--label", &format!("{LABEL_NODE}={node}")]);
        if let Some(label) = extra_label {
            run.args(["--label", &label]);
        }
        let made = run.arg(&image).output().unwrap();
        assert!(
            made.status.success(),
            "{}",
            String::from_utf8_lossy(&made.stderr)
        );
    }

    let report = reconciler
        .pass(&[desired(agent, Want::Running, SEEDLING)], Instant::now())
        .await;
    assert_clean(&report);
    let removed: Vec<_> = report
        .done
        .iter()
        .filter_map(|action| match action {
            Action::Remove { why, .. } => Some(*why),
            _ => None,
        })
        .collect();
    assert_eq!(removed.len(), 2, "{:?}", report.done);
    assert!(removed.contains(&Removal::NoAgentLabel) && removed.contains(&Removal::UnknownAgent));
    let backend = engine(&node).await.unwrap();
    let listed = backend.list().await.unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].agent(), Some(agent));
    let name = container_name(agent);
    let started = backend.inspect(&name).await.unwrap().unwrap().started_at;

    for (want, limits, state) in [
        (Want::Paused, SEEDLING, RunState::Paused),
        (Want::Running, WORKER, RunState::Running),
        (Want::Stopped, WORKER, RunState::Exited),
    ] {
        let report = reconciler
            .pass(&[desired(agent, want, limits)], Instant::now())
            .await;
        assert_clean(&report);
        let details = backend.inspect(&name).await.unwrap().unwrap();
        assert_eq!(details.info.state, state, "{want:?}: {:?}", report.done);
        if state != RunState::Exited {
            assert_eq!(details.memory_bytes, limits.memory_bytes());
            assert_eq!(details.started_at, started, "{want:?} without a restart");
        }
    }
}

/// Removes a container made outside the runtime when dropped.
struct RemoveOnDrop(String);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = Command::new("docker").args(["rm", "-f", &self.0]).output();
    }
}

#[tokio::test]
async fn a_new_agent_image_replaces_containers_a_few_a_pass_keeping_workspaces() {
    // A launcher started with a new image (another tag) replaces the three containers made
    // from the old one, two in its first pass and the last in the next; each agent's
    // workspace outlives its container; then nothing is left to do.
    let node = fresh_node("rollout");
    let Some(mut old) = reconciler(&node).await else {
        return;
    };
    let agents = [fresh_agent(), fresh_agent(), fresh_agent()];
    let _clean = CleanUp(agents.to_vec());
    let wanted = agents.map(|agent| desired(agent, Want::Running, SEEDLING));
    assert_clean(&old.pass(&wanted, Instant::now()).await);
    let backend = engine(&node).await.unwrap();
    let (wrote, out) = exec(
        &container_name(agents[0]),
        &["sh", "-c", &format!("echo kept > {WORKSPACE_PATH}/mark")],
    );
    assert!(wrote, "{out}");

    let mut newer = busybox_recipe();
    newer.command = vec!["/bin/busybox".into(), "sleep".into(), "3601".into()];
    let image = backend.ensure_image(&newer).await.unwrap();
    let mut new = Reconciler::new(vec![(backend.clone(), CAPACITY)], launch(image.clone()));
    let replaced = |report: &PassReport| {
        report
            .done
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
            .count()
    };
    let first = new.pass(&wanted, Instant::now()).await;
    assert_clean(&first);
    assert_eq!(replaced(&first), IMAGE_ROLLOUT_PER_PASS, "{:?}", first.done);
    let second = new.pass(&wanted, Instant::now()).await;
    assert_clean(&second);
    assert_eq!(replaced(&second), 1, "{:?}", second.done);
    let third = new.pass(&wanted, Instant::now()).await;
    assert!(third.done.is_empty(), "{:?}", third.done);
    for agent in agents {
        let found = backend
            .inspect(&container_name(agent))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.info.image, image);
        assert_eq!(found.info.state, RunState::Running);
    }
    let (read, mark) = exec(
        &container_name(agents[0]),
        &["cat", &format!("{WORKSPACE_PATH}/mark")],
    );
    assert!(read, "{mark}");
    assert_eq!(mark.trim(), "kept");
}
