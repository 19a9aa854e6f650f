//! gVisor per tier on a real engine: a second engine with `runsc` registered in its
//! `daemon.json`, as an operator registers it, runs the agents of the tiers mapped to it in
//! the gVisor sandbox (the sandbox's kernel says so), hardened like any other, while another
//! tier stays on the default runtime; a tier change of a sandboxed agent, which gVisor cannot
//! apply live, gives it a new sandbox with the new tier's limits.

use std::collections::BTreeMap;
use std::time::Instant;

use runtime::backend::ContainerBackend;
use runtime::plan::{Action, Removal, Want};
use runtime::reconcile::Reconciler;
use runtime::spec::container_name;

use crate::engine::{
    CAPACITY, SEEDLING, WORKER, busybox_recipe, desired, fresh_agent, fresh_node, launch,
};
use crate::second_engine::SecondEngine;

/// runsc registered as operators do; `--network=none` because agents have no network.
const DAEMON_JSON: &str = r#"{"live-restore": true,
  "runtimes": {"runsc": {"path": "/usr/bin/runsc", "runtimeArgs": ["--network=none"]}}}"#;

#[tokio::test]
async fn tiers_mapped_to_gvisor_run_sandboxed_and_change_tier_in_a_new_sandbox() {
    // Seedling and worker map to runsc, guild does not. The seedling's kernel is gVisor's, the
    // guild's is not; promoted to worker, the seedling's sandbox is replaced by one with the
    // worker's memory.
    if !std::path::Path::new("/usr/bin/runsc").exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI needs gVisor: install Debian's runsc"
        );
        eprintln!("SKIPPED: no /usr/bin/runsc (Debian's runsc package)");
        return;
    }
    let Some(mut second) =
        SecondEngine::start_configured(DAEMON_JSON, Vec::new(), "API listen on").await
    else {
        return;
    };
    let node = fresh_node("gvisor");
    let backend = second.backend(&node).await;
    let image = backend.ensure_image(&busybox_recipe()).await.unwrap();
    let mut launch = launch(image);
    launch.tier_runtimes = BTreeMap::from([
        ("seedling".to_string(), "runsc".to_string()),
        ("worker".to_string(), "runsc".to_string()),
    ]);
    let mut reconciler = Reconciler::new(vec![(backend.clone(), CAPACITY)], launch);
    let (sandboxed, plain) = (fresh_agent(), fresh_agent());
    let mut guild = desired(plain, Want::Running, SEEDLING);
    guild.tier = "guild".into();
    let mut wanted = vec![desired(sandboxed, Want::Running, SEEDLING), guild];
    let report = reconciler.pass(&wanted, Instant::now()).await;
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(report.done.len(), 2, "{:?}", report.done);

    let kernel = |agent| second.exec(&container_name(agent), &["dmesg"]);
    let (ok, log) = kernel(sandboxed);
    assert!(ok && log.contains("gVisor"), "{log}");
    let (_, log) = kernel(plain);
    assert!(!log.contains("gVisor"), "{log}");
    let found = backend
        .inspect(&container_name(sandboxed))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.oci_runtime, "runsc");

    wanted[0].tier = "worker".into();
    wanted[0].limits = WORKER;
    let promoted = reconciler.pass(&wanted, Instant::now()).await;
    assert!(promoted.failed.is_empty(), "{:?}", promoted.failed);
    assert!(
        promoted.done.iter().any(|action| matches!(
            action,
            Action::Remove {
                why: Removal::SandboxTierChanged,
                ..
            }
        )),
        "{:?}",
        promoted.done
    );
    let moved = backend
        .inspect(&container_name(sandboxed))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(moved.oci_runtime, "runsc");
    assert_eq!(moved.memory_bytes, WORKER.memory_bytes());
    let (ok, log) = kernel(sandboxed);
    assert!(ok && log.contains("gVisor"), "{log}");
    let settled = reconciler.pass(&wanted, Instant::now()).await;
    assert!(settled.done.is_empty(), "{:?}", settled.done);
}
