//! The test harness: the machine's engine, a test image built from busybox, specs with agent
//! ids no other test uses, and clean-up of everything a test made.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use runtime::backend::ContainerBackend;
use runtime::backend::docker::DockerBackend;
use runtime::image::{ImageFile, ImageRecipe};
use runtime::placement::Capacity;
use runtime::plan::{DesiredAgent, Want};
use runtime::reconcile::Launch;
use runtime::spec::{ContainerSpec, Limits, Network, workspace_volume};
use shared::AgentId;
use shared::tier::GpuShare;

pub const SOCKET: &str = "/var/run/docker.sock";
/// A statically linked busybox (Debian's `busybox-static`): the whole userland of the test
/// image, so it needs no libraries.
pub const BUSYBOX: &str = "/bin/busybox";
pub const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// The seedling tier's container limits (server/src/economy/default_tiers.toml).
pub const SEEDLING: Limits = Limits {
    cpu_millicores: 500,
    memory_mib: 512,
    pids_max: 64,
    gpu: GpuShare::None,
};
/// The worker tier's, without its GPU (this machine has none).
pub const WORKER: Limits = Limits {
    cpu_millicores: 1000,
    memory_mib: 1024,
    pids_max: 128,
    gpu: GpuShare::None,
};

/// What each test node offers to agent containers.
pub const CAPACITY: Capacity = Capacity {
    cpu_millicores: 8000,
    memory_mib: 16_384,
    gpus: 0,
};

/// What the server would say of `agent`: `want`, with `limits` (tier "seedling").
pub fn desired(agent: AgentId, want: Want, limits: Limits) -> DesiredAgent {
    DesiredAgent {
        agent,
        want,
        tier: "seedling".into(),
        limits,
        brain: shared::runtime::AgentBrain::Scripted,
        egress: false,
        oci_runtime: None,
    }
}

/// How the reconcile tests launch agents: the test image's own command, no network.
pub fn launch(image: String) -> Launch {
    Launch {
        image,
        command: Vec::new(),
        env: BTreeMap::new(),
        network: Network::None,
        oci_runtime: None,
        tier_runtimes: BTreeMap::new(),
        api_socket_dir: None,
        egress: None,
    }
}

/// The engine, or None (with the reason printed) when this machine cannot run these tests.
/// Under `CI` a missing engine or busybox fails the test instead.
pub async fn engine(node: &str) -> Option<DockerBackend> {
    let missing = if !Path::new(SOCKET).exists() {
        Some(format!("no Docker engine socket at {SOCKET}"))
    } else if !Path::new(BUSYBOX).exists() {
        Some(format!(
            "no static busybox at {BUSYBOX} (Debian package busybox-static)"
        ))
    } else {
        None
    };
    if let Some(reason) = missing {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI needs the Docker tests: {reason}"
        );
        eprintln!("SKIPPED: {reason}; ./scripts/test.sh sets both up");
        return None;
    }
    let endpoint = format!("unix://{SOCKET}");
    Some(
        DockerBackend::connect(node, &endpoint, CALL_TIMEOUT)
            .await
            .expect("the engine answers"),
    )
}

/// The test image: busybox, sleeping until stopped.
pub fn busybox_recipe() -> ImageRecipe {
    ImageRecipe {
        base: None,
        repository: "aivillage-runtime-test".into(),
        files: vec![ImageFile::from_host("/bin/busybox", Path::new(BUSYBOX), 0o755).unwrap()],
        command: vec!["/bin/busybox".into(), "sleep".into(), "3600".into()],
    }
}

/// An agent id no other test in this run or a parallel run uses.
pub fn fresh_agent() -> AgentId {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    AgentId(
        9_000_000_000 + u64::from(std::process::id()) * 1000 + NEXT.fetch_add(1, Ordering::Relaxed),
    )
}

/// A node name no other test run uses, so listings see only this test's containers.
pub fn fresh_node(test: &str) -> String {
    format!("test-{}-{test}", std::process::id())
}

pub fn spec(agent: AgentId, node: &str, image: &str, limits: Limits) -> ContainerSpec {
    ContainerSpec {
        agent,
        node: node.to_string(),
        tier: "seedling".into(),
        image: image.to_string(),
        command: Vec::new(),
        env: BTreeMap::from([("VILLAGE_AGENT_ID".to_string(), agent.0.to_string())]),
        limits,
        network: Network::None,
        egress: false,
        oci_runtime: None,
        brain: shared::runtime::AgentBrain::Scripted,
        api_socket_dir: None,
    }
}

/// An agent container's environment as the engine reports it (`docker inspect`), as JSON.
pub fn container_env(agent: AgentId) -> String {
    let output = Command::new("docker")
        .args([
            "inspect",
            "--format",
            "{{json .Config.Env}}",
            &runtime::spec::container_name(agent),
        ])
        .output()
        .unwrap();
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A network made for a test (or by the code under test), removed after it.
pub struct TestNetwork(pub String);

impl Drop for TestNetwork {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .args(["network", "rm", &self.0])
            .output();
    }
}

/// Removes the agents' containers and workspace volumes when dropped, pass or fail.
pub struct CleanUp(pub Vec<AgentId>);

impl Drop for CleanUp {
    fn drop(&mut self) {
        for agent in &self.0 {
            let _ = Command::new("docker")
                .args(["rm", "-f", &runtime::spec::container_name(*agent)])
                .output();
            let _ = Command::new("docker")
                .args(["volume", "rm", "-f", &workspace_volume(*agent)])
                .output();
        }
    }
}

/// Runs a busybox command inside the container with the docker CLI (independent of the code
/// under test); returns whether it succeeded and its output.
pub fn exec(container: &str, command: &[&str]) -> (bool, String) {
    exec_with(&[], container, command)
}

/// [`exec`] with `docker` options first (`-H` and another engine's endpoint).
pub fn exec_with(docker: &[&str], container: &str, command: &[&str]) -> (bool, String) {
    let output = Command::new("docker")
        .args(docker)
        .args(["exec", container, "/bin/busybox"])
        .args(command)
        .output()
        .expect("the docker CLI runs");
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

/// Builds the test image on the engine and starts `agent`'s container (register the agent
/// with [`CleanUp`] first).
pub async fn started(backend: &DockerBackend, agent: AgentId, limits: Limits) -> ContainerSpec {
    let image = backend.ensure_image(&busybox_recipe()).await.unwrap();
    let spec = spec(agent, backend.node(), &image, limits);
    backend.create(&spec).await.unwrap();
    backend.start(&spec.name()).await.unwrap();
    spec
}
