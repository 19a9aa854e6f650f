//! The one door to a container engine: [`ContainerBackend`], in the runtime's own types.
//!
//! The reconcile loop, placement and the kill switch speak only this trait, so the Docker
//! implementation ([`docker`]) can be joined by a Kubernetes one without touching them (see
//! docs/adr/0009-agent-runtime.md). Every call is bounded in time by the backend itself.

pub mod docker;

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use shared::AgentId;

use crate::image::{ImageError, ImageRecipe};
use crate::spec::{ContainerSpec, LABEL_AGENT, LABEL_NODE, Limits, SpecError};

/// Where a container is in its life, as the engine reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RunState {
    /// Made but never started (or its start failed): a leak unless it starts soon.
    Created,
    Running,
    Paused,
    Restarting,
    /// Stopped, by a stop, a kill, its own exit or the OOM killer.
    Exited,
    /// The engine could not stop or remove it cleanly.
    Dead,
    Removing,
    /// A state this runtime does not know; treated as not running.
    Unknown,
}

impl RunState {
    const ALL: [RunState; 8] = [
        RunState::Created,
        RunState::Running,
        RunState::Paused,
        RunState::Restarting,
        RunState::Exited,
        RunState::Dead,
        RunState::Removing,
        RunState::Unknown,
    ];

    /// The state an engine names (Docker's words, as in [`RunState::as_str`]); a word this
    /// runtime does not know is `Unknown`.
    pub fn parse(name: &str) -> RunState {
        RunState::ALL
            .into_iter()
            .find(|state| state.as_str() == name)
            .unwrap_or(RunState::Unknown)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RunState::Created => "created",
            RunState::Running => "running",
            RunState::Paused => "paused",
            RunState::Restarting => "restarting",
            RunState::Exited => "exited",
            RunState::Dead => "dead",
            RunState::Removing => "removing",
            RunState::Unknown => "unknown",
        }
    }
}

/// One container the runtime owns, from a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerInfo {
    /// The engine's id.
    pub id: String,
    /// The container's name (without Docker's leading `/`).
    pub name: String,
    pub state: RunState,
    pub labels: BTreeMap<String, String>,
    /// When it was created, in seconds since the Unix epoch: of two containers for one agent,
    /// the newer is the later placement.
    pub created_s: i64,
    /// The image it was made from, as named at its creation (empty when unknown).
    pub image: String,
}

impl ContainerInfo {
    /// The agent the container belongs to, from its label; None for a container whose label
    /// is missing or not a number (an orphan to sweep).
    pub fn agent(&self) -> Option<AgentId> {
        self.labels.get(LABEL_AGENT)?.parse().ok().map(AgentId)
    }

    /// The node the container was placed on, from its label.
    pub fn node(&self) -> Option<&str> {
        self.labels.get(LABEL_NODE).map(String::as_str)
    }
}

/// A mount as the engine reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountInfo {
    /// `volume`, `bind`, `tmpfs`, ...
    pub kind: String,
    /// The volume name or host path.
    pub source: String,
    /// Where it is mounted inside the container.
    pub target: String,
    /// Whether the container may write to it.
    pub writable: bool,
}

/// What the engine says one container actually is: the facts the hardening checks and the
/// status reports read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerDetails {
    pub info: ContainerInfo,
    /// The exit code of the last run, when it has exited.
    pub exit_code: Option<i64>,
    /// Whether the kernel's OOM killer ended the last run.
    pub oom_killed: bool,
    /// Times the engine restarted it.
    pub restart_count: i64,
    /// When the current (or last) run started, as the engine writes it; the same value before
    /// and after a live update proves there was no restart.
    pub started_at: String,
    pub privileged: bool,
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    pub security_opt: Vec<String>,
    /// Whether an init process (PID 1 reaping, signal forwarding) runs in it.
    pub init: bool,
    pub nano_cpus: i64,
    pub memory_bytes: i64,
    /// Memory plus swap; equal to `memory_bytes` when no swap is granted.
    pub memory_swap_bytes: i64,
    pub pids_limit: i64,
    pub network_mode: String,
    pub mounts: Vec<MountInfo>,
    /// GPU (or other) device requests.
    pub device_requests: usize,
    /// Host devices mapped in.
    pub devices: usize,
    pub pid_mode: String,
    pub ipc_mode: String,
    pub oci_runtime: String,
}

/// One sample of a running container's resource use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContainerStats {
    /// Memory in use, in bytes.
    pub memory_bytes: u64,
    /// CPU time used since it started, in nanoseconds (a rate needs two samples).
    pub cpu_total_ns: u64,
}

/// How a node counts its agents' workspaces: a meter container of `image` runs `program`
/// (the agent binary, whose `measure-disk` mode does the counting), each workspace walked for
/// at most `per_workspace`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceMeter {
    pub image: String,
    pub program: String,
    pub per_workspace: Duration,
}

/// The files for mutual TLS with an engine started with `--tlsverify` (Docker's usual
/// `ca.pem`, `cert.pem`, `key.pem`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineTls {
    /// The CA that signed the engine's certificate (the system's roots are trusted too).
    pub ca: std::path::PathBuf,
    /// The launcher's client certificate and its key, signed by the CA the engine trusts.
    pub cert: std::path::PathBuf,
    pub key: std::path::PathBuf,
}

/// The egress network on one node, as its host sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InternalNetwork {
    /// The gateway's address: the host's own address on the network, where the proxy listens.
    pub gateway: String,
    /// The host's bridge interface for the network (the firewall's `-i`).
    pub bridge: String,
}

/// Why a backend call failed. Each names the node, so a report says where.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("node {node}: the engine does not answer: {reason}")]
    Unreachable { node: String, reason: String },
    #[error("node {node}: {operation} took longer than {limit:?}")]
    Timeout {
        node: String,
        operation: &'static str,
        limit: Duration,
    },
    #[error("node {node}: no container or image named {name}")]
    NotFound { node: String, name: String },
    #[error("node {node}: the engine refused to {operation}: {message}")]
    Refused {
        node: String,
        operation: &'static str,
        message: String,
    },
    #[error("no token for agent {agent}: {reason}")]
    Token {
        agent: shared::AgentId,
        reason: String,
    },
    #[error(transparent)]
    Spec(#[from] SpecError),
    #[error(transparent)]
    Image(#[from] ImageError),
}

/// A container engine on one node, seen through the runtime's own types.
///
/// Every method is bounded in time. Creating is idempotent: a container that already exists
/// under the spec's name is returned, not made twice.
pub trait ContainerBackend: Send + Sync {
    /// The node this backend manages.
    fn node(&self) -> &str;

    /// Whether the engine answers.
    fn ping(&self) -> impl Future<Output = Result<(), BackendError>> + Send;

    /// Makes sure the internal network `name` (the egress network) exists on this node;
    /// returns its gateway address, where the egress proxy listens, and its bridge. A
    /// network of that name that is not internal is refused.
    fn ensure_internal_network(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<InternalNetwork, BackendError>> + Send;

    /// Makes sure the recipe's image is on this node, building it when missing; returns its
    /// tag.
    fn ensure_image(
        &self,
        recipe: &ImageRecipe,
    ) -> impl Future<Output = Result<String, BackendError>> + Send;

    /// Every container on this node labelled as the village's, running or not.
    fn list(&self) -> impl Future<Output = Result<Vec<ContainerInfo>, BackendError>> + Send;

    /// One container by name or id; `Ok(None)` when it does not exist.
    fn inspect(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<ContainerDetails>, BackendError>> + Send;

    /// Creates the spec's container unless one by its name exists; returns its id. A failed
    /// create leaves nothing behind.
    fn create(
        &self,
        spec: &ContainerSpec,
    ) -> impl Future<Output = Result<String, BackendError>> + Send;

    /// Starts a created or stopped container; starting a running one is not an error.
    fn start(&self, name: &str) -> impl Future<Output = Result<(), BackendError>> + Send;

    /// Asks the container to stop (SIGTERM to its init), killing it after `grace`.
    fn stop(
        &self,
        name: &str,
        grace: Duration,
    ) -> impl Future<Output = Result<(), BackendError>> + Send;

    /// Kills the container at once (SIGKILL).
    fn kill(&self, name: &str) -> impl Future<Output = Result<(), BackendError>> + Send;

    /// Freezes every process in the container (cgroup freezer).
    fn pause(&self, name: &str) -> impl Future<Output = Result<(), BackendError>> + Send;

    /// Thaws a paused container.
    fn resume(&self, name: &str) -> impl Future<Output = Result<(), BackendError>> + Send;

    /// Applies new CPU, memory and pids limits to a live container, without a restart.
    fn update_limits(
        &self,
        name: &str,
        limits: &Limits,
    ) -> impl Future<Output = Result<(), BackendError>> + Send;

    /// The node's container events for this village (start, die, kill, destroy, ...), each
    /// as a bare hint that something changed, until the connection ends or fails. Only a hint:
    /// the next pass reads the real state.
    fn changes(&self) -> futures_util::stream::BoxStream<'static, Result<(), BackendError>>;

    /// One sample of a running container's memory and CPU use; `Ok(None)` when it does not
    /// run or does not exist.
    fn stats(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<ContainerStats>, BackendError>> + Send;

    /// Writes one file into the container's own filesystem (created or stopped containers
    /// too), making its parent directories: how a secret reaches a container without its
    /// environment or the image. `path` is absolute.
    fn put_file(
        &self,
        name: &str,
        path: &str,
        contents: &[u8],
        mode: u32,
    ) -> impl Future<Output = Result<(), BackendError>> + Send;

    /// Removes the container (killing it if it runs); its workspace volume stays. Removing a
    /// missing container is not an error.
    fn remove(&self, name: &str) -> impl Future<Output = Result<(), BackendError>> + Send;

    /// Bytes the container's own writable layer holds; `Ok(None)` when it does not exist.
    fn writable_layer_bytes(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<u64>, BackendError>> + Send;

    /// What each agent's workspace volume holds, counted by `meter` (agents whose count did
    /// not come back are left out).
    fn measure_workspaces(
        &self,
        meter: &WorkspaceMeter,
        agents: &[shared::AgentId],
    ) -> impl Future<Output = Result<Vec<(shared::AgentId, shared::runtime::DiskUse)>, BackendError>>
    + Send;
}
