//! What one agent's container must be, in the runtime's own types: its name, labels, image,
//! command, environment, network and the limits of the agent's compute tier.
//!
//! Pure data and arithmetic: nothing here talks to a container engine, so a Kubernetes
//! backend can read the same spec as the Docker one.

use std::collections::BTreeMap;

use shared::AgentId;
use shared::runtime::AgentBrain;
use shared::tier::{Entitlements, GpuShare};

/// Label on every container the runtime owns; a sweep lists by it and touches nothing else.
pub const LABEL_APP: &str = "app";
/// The value of [`LABEL_APP`].
pub const APP: &str = "aivillage";
/// Label carrying the agent's id.
pub const LABEL_AGENT: &str = "aivillage.agent_id";
/// Label carrying the node the runtime placed the container on.
pub const LABEL_NODE: &str = "aivillage.node";
/// Label carrying the tier whose limits the container was created with. Named for what it
/// says, so it stays true: Docker cannot change a label on a live container, and a tier change
/// updates the limits in place (the tier in force is the server's, `GET /runtime/agents`).
pub const LABEL_TIER: &str = "aivillage.created_tier";
/// Whether the container was made with a route out (`true`) or none (`false`; a container
/// without the label has none either).
pub const LABEL_EGRESS: &str = "aivillage.egress";
/// The OCI runtime the container was made with (empty: the engine's default).
pub const LABEL_RUNTIME: &str = "aivillage.runtime";
/// The brain the container was made to run (`scripted` or `llm`, its `VILLAGE_BRAIN`): a
/// container made for another is replaced (a container without the label is not).
pub const LABEL_BRAIN: &str = "aivillage.brain";

/// The container engine refuses less memory than this (Docker: 6 MiB).
pub const MEMORY_MIB_MIN: u32 = 6;
/// The container engine refuses a CPU share below a hundredth of a core.
pub const CPU_MILLICORES_MIN: u32 = 10;
/// Longest command line or environment the runtime will hand to an engine, in bytes all
/// together: a spec is data from config, and a bound keeps a mistake from becoming a 1 MB
/// request.
pub const SPEC_BYTES_MAX: usize = 64 * 1024;

/// The container's name for an agent: one container per agent, so the name is the agent's.
pub fn container_name(agent: AgentId) -> String {
    format!("aivillage-agent-{}", agent.0)
}

/// The named volume holding an agent's workspace (its files and memory); it outlives the
/// container, so a rescheduled or upgraded agent keeps its work.
pub fn workspace_volume(agent: AgentId) -> String {
    format!("aivillage-workspace-{}", agent.0)
}

/// Where the workspace volume is mounted inside the container.
pub const WORKSPACE_PATH: &str = "/workspace";

/// The resource limits of one container, from the agent's tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// CPU in thousandths of a core.
    pub cpu_millicores: u32,
    /// Memory in MiB; swap is not granted on top (memory = memory + swap).
    pub memory_mib: u32,
    /// Processes and threads (the pids cgroup).
    pub pids_max: u32,
    pub gpu: GpuShare,
}

impl Limits {
    /// The container limits a tier grants.
    pub fn from_entitlements(entitlements: &Entitlements) -> Limits {
        Limits {
            cpu_millicores: entitlements.cpu_millicores,
            memory_mib: entitlements.memory_mib,
            pids_max: entitlements.pids_max,
            gpu: entitlements.gpu,
        }
    }

    /// CPU as the engine counts it: billionths of a core.
    pub fn nano_cpus(&self) -> i64 {
        i64::from(self.cpu_millicores) * 1_000_000
    }

    pub fn memory_bytes(&self) -> i64 {
        i64::from(self.memory_mib) * 1024 * 1024
    }

    /// Refuses limits an engine would refuse, so the refusal names the tier's numbers rather
    /// than an engine's error.
    pub fn check(&self) -> Result<(), SpecError> {
        if self.cpu_millicores < CPU_MILLICORES_MIN {
            return Err(SpecError::Limits(format!(
                "cpu_millicores is {}, below the engine's minimum of {CPU_MILLICORES_MIN}",
                self.cpu_millicores
            )));
        }
        if self.memory_mib < MEMORY_MIB_MIN {
            return Err(SpecError::Limits(format!(
                "memory_mib is {}, below the engine's minimum of {MEMORY_MIB_MIN}",
                self.memory_mib
            )));
        }
        if self.pids_max == 0 {
            return Err(SpecError::Limits("pids_max is 0".into()));
        }
        Ok(())
    }
}

/// The network an agent's container joins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Network {
    /// No network at all (the safe default): the agent reaches the server only through a
    /// socket mounted into the container.
    None,
    /// A named network the runtime controls (egress through its logging proxy).
    Named(String),
}

/// Everything the runtime decides about one agent's container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerSpec {
    pub agent: AgentId,
    /// The node the container is placed on.
    pub node: String,
    /// The tier whose limits these are (recorded as a label).
    pub tier: String,
    /// Image reference, e.g. `aivillage-agent:3f2a9c0d1e2b`.
    pub image: String,
    /// Command and arguments; empty means the image's own.
    pub command: Vec<String>,
    /// Environment variables, sorted by name so the same spec always reads the same.
    pub env: BTreeMap<String, String>,
    pub limits: Limits,
    pub network: Network,
    /// Whether this is the agent's route out (the egress network and proxy), recorded as a
    /// label: a named `network` alone does not say so.
    pub egress: bool,
    /// An OCI runtime other than the engine's default (e.g. gVisor's `runsc`), per tier.
    pub oci_runtime: Option<String>,
    /// The brain the agent runs (its `VILLAGE_BRAIN`), recorded as a label so a switch is seen.
    pub brain: AgentBrain,
    /// The host folder holding the server's API socket, mounted read-only at
    /// [`API_SOCKET_DIR`]: the one host path an agent container sees.
    pub api_socket_dir: Option<String>,
}

/// Where the server's API socket folder is mounted inside the container.
pub const API_SOCKET_DIR: &str = "/run/village-api";

impl ContainerSpec {
    /// The container's name.
    pub fn name(&self) -> String {
        container_name(self.agent)
    }

    /// The labels the container carries: app, agent, node, tier, egress, runtime and brain.
    pub fn labels(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            (LABEL_APP.to_string(), APP.to_string()),
            (LABEL_AGENT.to_string(), self.agent.0.to_string()),
            (LABEL_NODE.to_string(), self.node.clone()),
            (LABEL_TIER.to_string(), self.tier.clone()),
            (LABEL_EGRESS.to_string(), self.egress.to_string()),
            (
                LABEL_RUNTIME.to_string(),
                self.oci_runtime.clone().unwrap_or_default(),
            ),
            (LABEL_BRAIN.to_string(), self.brain.as_str().to_string()),
        ])
    }

    /// Checks the spec before any engine sees it.
    pub fn check(&self) -> Result<(), SpecError> {
        self.limits.check()?;
        if self.image.is_empty() {
            return Err(SpecError::Field("image is empty".into()));
        }
        if self.node.is_empty() {
            return Err(SpecError::Field("node is empty".into()));
        }
        if let Some(name) = self
            .env
            .keys()
            .find(|name| name.is_empty() || name.contains('=') || name.contains('\0'))
        {
            return Err(SpecError::Field(format!(
                "environment variable name {name:?} is not valid"
            )));
        }
        let bytes: usize = self.command.iter().map(String::len).sum::<usize>()
            + self
                .env
                .iter()
                .map(|(k, v)| k.len() + v.len())
                .sum::<usize>();
        if bytes > SPEC_BYTES_MAX {
            return Err(SpecError::Field(format!(
                "command and environment are {bytes} bytes, over {SPEC_BYTES_MAX}"
            )));
        }
        Ok(())
    }
}

/// A spec the runtime refuses before asking an engine.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    #[error("the tier's limits cannot be applied: {0}")]
    Limits(String),
    #[error("the container spec is not valid: {0}")]
    Field(String),
}

/// The seedling tier's limits, for tests.
#[cfg(test)]
pub(crate) const SEEDLING_LIMITS: Limits = Limits {
    cpu_millicores: 500,
    memory_mib: 512,
    pids_max: 64,
    gpu: GpuShare::None,
};

/// The worker tier's limits without its GPU, for tests.
#[cfg(test)]
pub(crate) const WORKER_LIMITS: Limits = Limits {
    cpu_millicores: 1000,
    memory_mib: 1024,
    pids_max: 128,
    gpu: GpuShare::None,
};

/// A spec for tests: agent `agent` on sparky1 with `limits`, no network.
#[cfg(test)]
pub(crate) fn sample_spec(agent: u64, limits: Limits) -> ContainerSpec {
    ContainerSpec {
        agent: AgentId(agent),
        node: "sparky1".into(),
        tier: "seedling".into(),
        image: "aivillage-agent:abc".into(),
        command: vec!["/bin/agent".into()],
        env: BTreeMap::from([("VILLAGE_AGENT_ID".into(), agent.to_string())]),
        limits,
        network: Network::None,
        egress: false,
        oci_runtime: None,
        brain: AgentBrain::Scripted,
        api_socket_dir: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> ContainerSpec {
        sample_spec(7, SEEDLING_LIMITS)
    }

    #[test]
    fn limits_convert_to_the_engines_units() {
        // Half a core is 500,000,000 nano-CPUs; 512 MiB is 536,870,912 bytes.
        let limits = spec().limits;
        assert_eq!(limits.nano_cpus(), 500_000_000);
        assert_eq!(limits.memory_bytes(), 536_870_912);
    }

    #[test]
    fn labels_name_the_app_agent_node_and_tier() {
        // A sweep finds the container by `app`, and the reconcile loop by agent and node.
        let labels = spec().labels();
        assert_eq!(labels[LABEL_APP], APP);
        assert_eq!(labels[LABEL_AGENT], "7");
        assert_eq!(labels[LABEL_NODE], "sparky1");
        assert_eq!(labels[LABEL_TIER], "seedling");
        assert_eq!(spec().name(), "aivillage-agent-7");
    }

    #[test]
    fn the_egress_label_is_the_route_not_the_network() {
        // A container on a named network the operator chose is not an egress container (else
        // every pass would replace it); only a spec made for the route says so.
        let mut named = spec();
        named.network = Network::Named("village-lan".into());
        assert_eq!(named.labels()[LABEL_EGRESS], "false");
        named.egress = true;
        assert_eq!(named.labels()[LABEL_EGRESS], "true");
    }

    #[test]
    fn the_brain_label_names_the_brain_the_container_runs() {
        // The plan replaces a container whose label names another brain, so each brain writes
        // its own name.
        let mut llm = spec();
        assert_eq!(llm.labels()[LABEL_BRAIN], "scripted");
        llm.brain = AgentBrain::Llm;
        assert_eq!(llm.labels()[LABEL_BRAIN], "llm");
    }

    #[test]
    fn limits_an_engine_would_refuse_are_refused_first() {
        // Each bad number is named in the refusal.
        for (change, word) in [
            (
                (|l: &mut Limits| l.cpu_millicores = 5) as fn(&mut Limits),
                "cpu_millicores",
            ),
            (|l: &mut Limits| l.memory_mib = 4, "memory_mib"),
            (|l: &mut Limits| l.pids_max = 0, "pids_max"),
        ] {
            let mut bad = spec();
            change(&mut bad.limits);
            let error = bad.check().unwrap_err().to_string();
            assert!(error.contains(word), "{error}");
        }
        assert_eq!(spec().check(), Ok(()));
    }

    #[test]
    fn bad_fields_are_refused() {
        // An empty image, a bad variable name and an oversized environment each fail.
        let mut bad = spec();
        bad.image.clear();
        assert!(bad.check().is_err());
        let mut bad = spec();
        bad.env.insert("A=B".into(), "x".into());
        assert!(bad.check().is_err());
        let mut bad = spec();
        bad.env.insert("BIG".into(), "x".repeat(SPEC_BYTES_MAX));
        assert!(bad.check().unwrap_err().to_string().contains("bytes"));
    }
}
