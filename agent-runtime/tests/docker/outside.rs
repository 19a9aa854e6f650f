//! What the egress tests need around the proxy: a web server on a network of its own that
//! stands for the internet (busybox httpd serving `/etc`, where the engine writes the
//! container's hostname `outside-server`), an egress-tier agent placed, a shell in its
//! container, and the firewall rules a test made, removed when it ends.

use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use runtime::backend::docker::DockerBackend;
use runtime::egress::EgressRoute;
use runtime::egress::firewall::release_gateway;
use runtime::plan::Want;
use runtime::reconcile::Reconciler;
use runtime::spec::container_name;
use shared::AgentId;

use crate::engine::{CAPACITY, CleanUp, SEEDLING, TestNetwork, desired, exec, fresh_agent, launch};

/// Outside servers started by this process.
static STARTED: AtomicU32 = AtomicU32::new(0);

/// The port the destination's web server listens on.
pub const DESTINATION_PORT: u16 = 8080;

/// The outside web server; removed (with its network) when dropped.
pub struct Outside {
    /// Its address on its network, reachable from this host.
    pub address: String,
    container: String,
    _network: TestNetwork,
}

impl Outside {
    /// Starts the server from `image` (with busybox) on a network made for it.
    pub fn start(image: &str) -> Outside {
        // Tests run at once in one process: each its own names.
        let unique = format!(
            "{}-{}",
            std::process::id(),
            STARTED.fetch_add(1, Ordering::Relaxed)
        );
        let network = TestNetwork(format!("aivillage-test-outside-{unique}"));
        run(&["network", "create", &network.0]);
        let container = format!("aivillage-test-destination-{unique}");
        let port = DESTINATION_PORT.to_string();
        run(&[
            "run",
            "-d",
            "--name",
            &container,
            "--network",
            &network.0,
            "--hostname",
            "outside-server",
            image,
            "/bin/busybox",
            "httpd",
            "-f",
            "-p",
            &port,
            "-h",
            "/etc",
        ]);
        let address = run(&[
            "inspect",
            "--format",
            "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
            &container,
        ]);
        assert!(!address.is_empty(), "the destination has no address");
        Outside {
            address,
            container,
            _network: network,
        }
    }

    /// The URL of the file that answers `outside-server`.
    pub fn url(&self) -> String {
        format!("http://{}:{DESTINATION_PORT}/hostname", self.address)
    }
}

impl Drop for Outside {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .args(["rm", "-f", &self.container])
            .output();
    }
}

/// Runs the docker CLI; its trimmed output, or a failure with its message.
fn run(args: &[&str]) -> String {
    let output = Command::new("docker").args(args).output().unwrap();
    assert!(
        output.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// Runs busybox `script` with `sh` in the agent's container (with the container's environment).
pub fn shell(agent: AgentId, script: &str) -> (bool, String) {
    exec(&container_name(agent), &["sh", "-c", script])
}

/// Removes the egress firewall rules of a bridge when dropped (declare it after the network,
/// so it goes first).
pub struct FirewallRules(pub String);

impl Drop for FirewallRules {
    fn drop(&mut self) {
        let _ = release_gateway(&self.0);
    }
}

/// Places one egress-tier agent on `backend` (the only node) with `route`; returns it, with
/// the guard that removes its container from the machine's engine.
pub async fn place_egress_agent(
    backend: &DockerBackend,
    image: String,
    route: &EgressRoute,
) -> (AgentId, CleanUp) {
    let mut launch = launch(image);
    launch.egress = Some(route.clone());
    let mut reconciler = Reconciler::new(vec![(backend.clone(), CAPACITY)], launch);
    let agent = fresh_agent();
    let clean = CleanUp(vec![agent]);
    let mut wanted = desired(agent, Want::Running, SEEDLING);
    wanted.egress = true;
    let report = reconciler.pass(&[wanted], Instant::now()).await;
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    (agent, clean)
}
