//! The launcher's settings: built-in defaults, then an optional TOML file, then environment
//! variables (`VILLAGE_RUNTIME__SECTION__KEY`). The only module of the launcher that reads the
//! environment. The runtime account's password comes from a file or the environment, and is
//! never logged.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format as _, Serialized, Toml};
use serde::{Deserialize, Serialize};

use super::disk_check::DiskCheck;
use super::egress_setup::EgressSection;
use crate::backend::{EngineTls, WorkspaceMeter};
use crate::placement::Capacity;
use crate::spec::Network;

/// Every setting of `village-runtime`.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RuntimeSettings {
    pub server: ServerSection,
    pub reconcile: ReconcileSection,
    pub image: ImageSection,
    pub launch: LaunchSection,
    pub metrics: MetricsSection,
    pub egress: EgressSection,
    pub nodes: Vec<NodeSection>,
}

/// The village server and the runtime account the launcher signs in as.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSection {
    /// `http://host:port`.
    pub url: String,
    pub username: String,
    /// The password itself (better from `VILLAGE_RUNTIME__SERVER__PASSWORD`), or empty to
    /// read `password_file`.
    pub password: String,
    pub password_file: Option<PathBuf>,
    pub timeout_ms: u64,
}

/// The reconcile loop.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReconcileSection {
    /// Time between passes.
    pub interval_ms: u64,
    /// Every engine call's time limit.
    pub call_timeout_ms: u64,
    /// Container reports (state, restarts, OOM kills, memory, CPU) go to the server after
    /// every this many passes.
    pub report_every_passes: u32,
    /// Seconds between two measurements of each agent's disk (its writable layer and its
    /// workspace, see ADR 0013); 0 turns the measurement off, and with it the disk limit.
    pub disk_check_every_s: u64,
    /// The most seconds one workspace is walked; a workspace with more files than that is
    /// reported as counted in part, which the server treats as over its limit. At least 1.
    pub disk_walk_s: u64,
}

/// The agent image, built on each node from the agent binary when the node lacks it.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ImageSection {
    pub repository: String,
    /// The `village-agent` binary to put in the image (with the shared libraries it loads).
    pub agent_binary: PathBuf,
    /// A root filesystem archive the image starts from (`deploy/agent-image/build.sh` makes a
    /// Debian one with bash, coreutils, curl, git, python3); empty: an empty base, with
    /// busybox as the shell when this machine has it.
    pub base_archive: String,
}

/// What every agent container gets besides its tier's limits.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LaunchSection {
    /// `none` (the safe default), or the name of a network the runtime controls.
    pub network: String,
    /// The host folder holding the server's API socket (`server.api_socket` of the server),
    /// mounted read-only at `/run/village-api` in every container; absolute. Needed with
    /// network `none`.
    pub api_socket_dir: String,
    /// `VILLAGE_SERVER_URL` inside the container.
    pub server_url: String,
    /// An OCI runtime for agent containers (`runsc` for gVisor); empty for the engine's.
    pub oci_runtime: String,
    /// An OCI runtime per tier, over `oci_runtime` (`[launch.tier_runtimes] seedling =
    /// "runsc"`); each must be registered in the engine's `daemon.json` on every node.
    pub tier_runtimes: std::collections::BTreeMap<String, String>,
    /// Pause between the agent's steps, `VILLAGE_STEP_MS` inside the container.
    pub step_ms: u64,
}

/// The launcher's own metrics endpoint.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsSection {
    /// Where `GET /metrics` is served; loopback by default.
    pub bind: SocketAddr,
}

/// One node with a container engine.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSection {
    /// `sparky1`, `sparky2`, ...
    pub name: String,
    /// `unix:///var/run/docker.sock` (or an SSH-forwarded socket), or `tcp://host:port`:
    /// with `tls`, an engine started with `--tlsverify`; without, only on a private network.
    pub endpoint: String,
    pub cpu_millicores: u64,
    pub memory_mib: u64,
    #[serde(default)]
    pub gpus: u32,
    /// Mutual TLS with the engine (`[nodes.tls]`: `ca`, `cert`, `key`).
    #[serde(default)]
    pub tls: Option<EngineTls>,
}

impl Default for RuntimeSettings {
    fn default() -> Self {
        RuntimeSettings {
            server: ServerSection::default(),
            reconcile: ReconcileSection::default(),
            image: ImageSection::default(),
            launch: LaunchSection::default(),
            metrics: MetricsSection::default(),
            egress: EgressSection::default(),
            nodes: vec![NodeSection {
                name: "sparky1".into(),
                endpoint: "unix:///var/run/docker.sock".into(),
                cpu_millicores: 2000,
                memory_mib: 4096,
                gpus: 0,
                tls: None,
            }],
        }
    }
}

impl Default for ServerSection {
    fn default() -> Self {
        ServerSection {
            url: "http://127.0.0.1:8080".into(),
            username: "runtime".into(),
            password: String::new(),
            password_file: None,
            timeout_ms: 10_000,
        }
    }
}

impl Default for ReconcileSection {
    fn default() -> Self {
        ReconcileSection {
            interval_ms: 2_000,
            call_timeout_ms: 20_000,
            report_every_passes: 5,
            disk_check_every_s: 60,
            disk_walk_s: 10,
        }
    }
}

impl Default for ImageSection {
    fn default() -> Self {
        ImageSection {
            repository: "aivillage-agent".into(),
            agent_binary: PathBuf::from("target/release/village-agent"),
            base_archive: String::new(),
        }
    }
}

impl Default for LaunchSection {
    fn default() -> Self {
        LaunchSection {
            network: "none".into(),
            api_socket_dir: String::new(),
            server_url: "unix:/run/village-api/api.sock".into(),
            oci_runtime: String::new(),
            tier_runtimes: Default::default(),
            step_ms: 2_000,
        }
    }
}

impl Default for MetricsSection {
    fn default() -> Self {
        MetricsSection {
            bind: SocketAddr::from(([127, 0, 0, 1], 9464)),
        }
    }
}

/// Why settings could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("invalid runtime settings: {0}")]
pub struct SettingsError(String);

/// Shortest pass interval, in milliseconds: a pass lists every node.
const INTERVAL_MS_MIN: u64 = 200;

impl RuntimeSettings {
    /// Loads defaults, then `file` (if given), then `VILLAGE_RUNTIME__*` variables; checks
    /// the result.
    pub fn load(file: Option<&Path>) -> Result<RuntimeSettings, SettingsError> {
        let settings: RuntimeSettings =
            layered(file, "VILLAGE_RUNTIME__").map_err(SettingsError)?;
        settings.check()?;
        Ok(settings)
    }

    /// Refuses settings the launcher cannot run with, naming the setting.
    pub fn check(&self) -> Result<(), SettingsError> {
        let bad = |message: String| Err(SettingsError(message));
        if self.nodes.is_empty() {
            return bad("nodes: at least one node is needed".into());
        }
        for (index, node) in self.nodes.iter().enumerate() {
            if node.name.is_empty() || self.nodes[..index].iter().any(|n| n.name == node.name) {
                return bad(format!(
                    "nodes[{index}].name {:?} is empty or repeated",
                    node.name
                ));
            }
            if let Some(tls) = &node.tls {
                if !node.endpoint.starts_with("tcp://") {
                    return bad(format!(
                        "nodes[{index}].tls needs a tcp://host:port endpoint, not {:?}",
                        node.endpoint
                    ));
                }
                for (key, path) in [("ca", &tls.ca), ("cert", &tls.cert), ("key", &tls.key)] {
                    if !path.is_file() {
                        return bad(format!(
                            "nodes[{index}].tls.{key}: {} is not a readable file",
                            path.display()
                        ));
                    }
                }
            }
            if node.cpu_millicores == 0 || node.memory_mib == 0 {
                return bad(format!(
                    "nodes[{index}] ({}) has no CPU or memory",
                    node.name
                ));
            }
        }
        if self.reconcile.interval_ms < INTERVAL_MS_MIN {
            return bad(format!(
                "reconcile.interval_ms {} is under {INTERVAL_MS_MIN}",
                self.reconcile.interval_ms
            ));
        }
        if self.reconcile.disk_walk_s == 0 {
            return bad("reconcile.disk_walk_s must be at least 1".to_string());
        }
        if !self.server.url.starts_with("http://") && !self.server.url.starts_with("https://") {
            return bad(format!(
                "server.url {:?} is not http(s)://",
                self.server.url
            ));
        }
        let socket_dir = &self.launch.api_socket_dir;
        if socket_dir.is_empty() && self.network() == Network::None {
            return bad(
                "launch.api_socket_dir is needed with launch.network \"none\": containers reach \
                 the server only through its API socket"
                    .into(),
            );
        }
        if !socket_dir.is_empty() && !socket_dir.starts_with('/') {
            return bad(format!(
                "launch.api_socket_dir {socket_dir:?} is not absolute"
            ));
        }
        if self.egress.enabled {
            self.egress.policy().map_err(SettingsError)?;
        }
        if self.server.password.is_empty() && self.server.password_file.is_none() {
            return bad(
                "server.password (VILLAGE_RUNTIME__SERVER__PASSWORD) or server.password_file \
                 is needed"
                    .into(),
            );
        }
        Ok(())
    }

    /// The runtime account's password, from the setting or its file (trimmed).
    pub fn password(&self) -> Result<String, SettingsError> {
        if !self.server.password.is_empty() {
            return Ok(self.server.password.clone());
        }
        let path = self
            .server
            .password_file
            .as_deref()
            .unwrap_or(Path::new(""));
        std::fs::read_to_string(path)
            .map(|text| text.trim().to_string())
            .map_err(|error| {
                SettingsError(format!("server.password_file {}: {error}", path.display()))
            })
    }

    /// The agents' network.
    pub fn network(&self) -> Network {
        match self.launch.network.as_str() {
            "" | "none" => Network::None,
            name => Network::Named(name.to_string()),
        }
    }

    /// How disk is measured, unless the measurement is off.
    pub fn disk_check(&self, image: String, program: String) -> Option<DiskCheck> {
        (self.reconcile.disk_check_every_s > 0).then(|| DiskCheck {
            meter: WorkspaceMeter {
                image,
                program,
                per_workspace: Duration::from_secs(self.reconcile.disk_walk_s),
            },
            every: Duration::from_secs(self.reconcile.disk_check_every_s),
        })
    }

    pub fn interval(&self) -> Duration {
        Duration::from_millis(self.reconcile.interval_ms)
    }

    pub fn call_timeout(&self) -> Duration {
        Duration::from_millis(self.reconcile.call_timeout_ms)
    }
}

/// Settings of type `T`: its defaults, then `file` (if given; it must exist), then the
/// environment variables that start with `prefix` (`PREFIX` `SECTION__KEY`).
pub fn layered<T>(file: Option<&Path>, prefix: &str) -> Result<T, String>
where
    T: Default + Serialize + for<'de> Deserialize<'de>,
{
    let mut figment = Figment::from(Serialized::defaults(T::default()));
    if let Some(file) = file {
        if !file.exists() {
            return Err(format!("config file {} not found", file.display()));
        }
        figment = figment.merge(Toml::file(file));
    }
    figment
        .merge(Env::prefixed(prefix).split("__"))
        .extract()
        .map_err(|error| error.to_string())
}

impl NodeSection {
    pub fn capacity(&self) -> Capacity {
        Capacity {
            cpu_millicores: self.cpu_millicores,
            memory_mib: self.memory_mib,
            gpus: self.gpus,
        }
    }
}

#[cfg(test)]
#[path = "settings_tests.rs"]
mod tests;
