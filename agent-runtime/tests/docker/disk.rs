//! The disk limit on the real engine (ADR 0013): the launcher's reporter measures an agent's
//! writable layer and its workspace (with the meter container, through a folder the agent
//! made unreadable), the server pauses the agent once the sum passes its tier's `disk_mib`, and
//! the next pass freezes its container. The meter leaves nothing behind.

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use runtime::backend::docker::DockerBackend;
use runtime::backend::{ContainerBackend, RunState, WorkspaceMeter};
use runtime::launcher::agent_image::AGENT_PATH;
use runtime::launcher::disk_check::DiskCheck;
use runtime::launcher::reports::Reporter;
use runtime::launcher::server_link::ServerLink;
use runtime::plan::Action;
use runtime::reconcile::Reconciler;
use runtime::spec::container_name;
use serde_json::{Value, json};
use shared::AgentId;

use crate::engine::{CAPACITY, CleanUp, engine, exec, fresh_node};
use crate::village::{pass, village_launch};
use crate::village_server::{
    ONE_VILLAGE_ON_THE_ENGINE, TestServer, assert_no_other_village_on_the_engine,
};

const MIB: u64 = 1 << 20;
/// The first tier's disk in this test: room for the agent and a few files.
const SEEDLING_DISK_MIB: u64 = 16;

type Launcher = Reconciler<DockerBackend, Arc<ServerLink>>;

/// One pass, then a report of every container with a fresh disk measurement; the server's
/// answer.
async fn measure_and_report(
    launcher: &mut Launcher,
    link: &ServerLink,
    reporter: &mut Reporter,
    server: &TestServer,
) -> Value {
    let report = pass(launcher, link).await;
    let reports = reporter.collect(&report, launcher).await;
    assert_eq!(reports.len(), 1, "{reports:?}");
    let body = json!({ "reports": reports });
    server
        .post("/runtime/reports", &body, reqwest::StatusCode::OK)
        .await
}

/// Writes `mib` MiB of real blocks at `path` inside the agent's container.
fn write_mib(agent: AgentId, path: &str, mib: u64) {
    let (ok, out) = exec(
        &container_name(agent),
        &[
            "dd",
            "if=/dev/zero",
            &format!("of={path}"),
            "bs=1M",
            &format!("count={mib}"),
        ],
    );
    assert!(ok, "{out}");
}

#[tokio::test]
async fn an_agent_that_fills_its_disk_is_measured_paused_and_its_container_frozen() {
    let node = fresh_node("disk");
    let Some(backend) = engine(&node).await else {
        return;
    };
    let _one_village = ONE_VILLAGE_ON_THE_ENGINE.lock().await;
    assert_no_other_village_on_the_engine(&node);
    let dir = tempfile::tempdir().unwrap();
    let tiers = dir.path().join("tiers.toml");
    let shipped = include_str!("../support/cpu_only_tiers.toml");
    assert!(shipped.contains("disk_mib = 1_024"));
    let small = shipped.replacen(
        "disk_mib = 1_024",
        &format!("disk_mib = {SEEDLING_DISK_MIB}"),
        1,
    );
    std::fs::write(&tiers, small).unwrap();
    let (server, socket_dir) = TestServer::start_for_containers(dir.path(), |settings| {
        settings.economy.tiers_file = Some(tiers);
    })
    .await;
    let link = server.runtime_link().await;
    let launch = village_launch(&backend, &socket_dir).await;
    let meter = WorkspaceMeter {
        image: launch.image.clone(),
        program: AGENT_PATH.to_string(),
        per_workspace: Duration::from_secs(10),
    };
    let mut reporter = Reporter::measuring_disk(DiskCheck {
        meter,
        every: Duration::ZERO,
    });
    let mut launcher: Launcher =
        Reconciler::new(vec![(backend.clone(), CAPACITY)], launch).with_tokens(link.clone());
    let ada = server.create_agent("Ada Quill", "home-ash").await.id;
    let _clean = CleanUp(vec![ada]);

    // 6 MiB in her workspace and 4 MiB in her container's own files: both counted, under 16.
    pass(&mut launcher, &link).await;
    write_mib(ada, "/workspace/notes", 6);
    write_mib(ada, "/scratch", 4);
    let taken = measure_and_report(&mut launcher, &link, &mut reporter, &server).await;
    assert_eq!(taken["paused"], json!([]), "{taken}");
    let view = server.get(&format!("/admin/agents/{ada}/control")).await;
    let disk = &view["container_report"]["report"]["disk"];
    let bytes = disk["bytes"].as_u64().unwrap();
    assert!(
        (10 * MIB..SEEDLING_DISK_MIB * MIB).contains(&bytes),
        "{view}"
    );
    assert_eq!(disk["complete"], true);
    assert_eq!(view["hold"], Value::Null);

    // 8 MiB more in a folder she then makes unreadable: still counted, now over, paused.
    let (ok, out) = exec(&container_name(ada), &["mkdir", "/workspace/hidden"]);
    assert!(ok, "{out}");
    write_mib(ada, "/workspace/hidden/blob", 8);
    let (ok, out) = exec(&container_name(ada), &["chmod", "000", "/workspace/hidden"]);
    assert!(ok, "{out}");
    let taken = measure_and_report(&mut launcher, &link, &mut reporter, &server).await;
    assert_eq!(taken["paused"], json!([ada.0]), "{taken}");
    let view = server.get(&format!("/admin/agents/{ada}/control")).await;
    assert_eq!(view["hold"], "pause", "{view}");
    assert!(
        view["reason"].as_str().unwrap().contains("MiB used"),
        "{view}"
    );

    // The next pass freezes her container: she writes nothing more, and what she wrote stays
    // for an operator to look at.
    let report = pass(&mut launcher, &link).await;
    assert!(
        report
            .done
            .iter()
            .any(|a| matches!(a, Action::Pause { agent, .. } if *agent == ada)),
        "{:?}",
        report.done
    );
    let found = backend
        .inspect(&container_name(ada))
        .await
        .unwrap()
        .expect("kept");
    assert_eq!(found.info.state, RunState::Paused);
    let meters = Command::new("docker")
        .args(["ps", "-aq", "--filter", "label=aivillage.disk-meter"])
        .output()
        .unwrap();
    assert!(
        meters.stdout.is_empty(),
        "a meter container was left behind"
    );
    server.stop().await;
}
