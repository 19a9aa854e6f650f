//! Egress end to end on the real engine: the launcher's egress setup makes the internal
//! network and runs the proxy on its gateway; an egress-tier container placed by the reconciler
//! reaches a destination on another network only through the proxy with its own credential
//! (the fetch tool's very command), not by itself, and is refused without the credential.

use std::process::Command;
use std::time::Instant;

use runtime::backend::ContainerBackend;
use runtime::launcher::egress_setup::{EgressSection, start_egress};
use runtime::plan::Want;
use runtime::reconcile::Reconciler;
use runtime::spec::container_name;
use tokio_util::sync::CancellationToken;

use crate::engine::{
    CAPACITY, CleanUp, SEEDLING, TestNetwork, busybox_recipe, desired, engine, exec, fresh_agent,
    fresh_node, launch,
};

/// The port the destination's web server listens on.
const DESTINATION_PORT: u16 = 8080;

/// A container removed when dropped.
struct Destination(String);

impl Drop for Destination {
    fn drop(&mut self) {
        let _ = Command::new("docker").args(["rm", "-f", &self.0]).output();
    }
}

/// Runs busybox `script` with `sh` in the agent's container (with the container's environment).
fn shell(agent: shared::AgentId, script: &str) -> (bool, String) {
    exec(&container_name(agent), &["sh", "-c", script])
}

// Two workers: the proxy serves while the test waits on `docker exec`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_egress_tier_reaches_out_only_through_the_proxy_with_its_own_credential() {
    // A web server on another network stands for the outside. Through the proxy with its
    // credential: the server's answer; by itself: nothing (the egress network is internal);
    // through the proxy without the credential: refused.
    let node = fresh_node("egress-proxy");
    let Some(backend) = engine(&node).await else {
        return;
    };
    let image = backend.ensure_image(&busybox_recipe()).await.unwrap();
    let outside = TestNetwork(format!("aivillage-test-outside-{}", std::process::id()));
    let made = Command::new("docker")
        .args(["network", "create", &outside.0])
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let destination = Destination(format!("aivillage-test-destination-{}", std::process::id()));
    // busybox httpd serving /etc, where the engine writes the container's hostname file.
    let port = DESTINATION_PORT.to_string();
    let started = Command::new("docker")
        .args([
            "run",
            "-d",
            "--name",
            &destination.0,
            "--network",
            &outside.0,
        ])
        .args(["--hostname", "outside-server", &image])
        .args(["/bin/busybox", "httpd", "-f", "-p", &port, "-h", "/etc"])
        .output()
        .unwrap();
    assert!(
        started.status.success(),
        "{}",
        String::from_utf8_lossy(&started.stderr)
    );
    let address = Command::new("docker")
        .args([
            "inspect",
            "--format",
            "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
        ])
        .arg(&destination.0)
        .output()
        .unwrap();
    let address = String::from_utf8_lossy(&address.stdout).trim().to_string();
    assert!(!address.is_empty(), "the destination has no address");

    let dir = tempfile::tempdir().unwrap();
    let network = TestNetwork(format!("aivillage-test-proxy-{}", std::process::id()));
    let section = EgressSection {
        enabled: true,
        network: network.0.clone(),
        port: 0,
        key_file: dir.path().join("egress.key"),
        ports: vec![DESTINATION_PORT],
        allowed_ranges: vec![format!("{address}/32")],
    };
    let stop = CancellationToken::new();
    let route = start_egress(&section, std::slice::from_ref(&backend), stop.clone())
        .await
        .unwrap()
        .expect("egress is on");
    // Internal: the engine forwards nothing from it to any other network or the internet.
    let internal = Command::new("docker")
        .args([
            "network",
            "inspect",
            "--format",
            "{{.Internal}}",
            &network.0,
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&internal.stdout).trim(), "true");
    let mut launch = launch(image);
    launch.egress = Some(route.clone());
    let mut reconciler = Reconciler::new(vec![(backend.clone(), CAPACITY)], launch);
    let agent = fresh_agent();
    let _clean = CleanUp(vec![agent]);
    let mut wanted = desired(agent, Want::Running, SEEDLING);
    wanted.egress = true;
    let report = reconciler.pass(&[wanted], Instant::now()).await;
    assert!(report.failed.is_empty(), "{:?}", report.failed);

    // The fetch tool's command for an image without curl (busybox `timeout` bounds each try).
    let url = format!("http://{address}:{DESTINATION_PORT}/hostname");
    let (ok, body) = shell(agent, &format!("timeout 10 wget -q -O- -- '{url}'"));
    assert!(ok, "{body}");
    assert_eq!(body.trim(), "outside-server");
    let (ok, direct) = shell(agent, &format!("timeout 5 wget -Y off -q -O- '{url}' 2>&1"));
    assert!(!ok, "reached the other network without the proxy: {direct}");
    let anonymous = format!("http://{}", route.proxy_address);
    let (ok, refused) = shell(
        agent,
        &format!("http_proxy={anonymous} timeout 10 wget -q -O- '{url}' 2>&1"),
    );
    assert!(!ok, "{refused}");
    assert!(refused.contains("407"), "{refused}");
    stop.cancel();
}
