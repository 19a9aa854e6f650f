//! `village-node`'s settings: built-in defaults, then an optional TOML file, then
//! `VILLAGE_NODE__SECTION__KEY` variables. The `[egress]` section is the launcher's own: the
//! same key file contents, network name and port on every node.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::launcher::egress_setup::EgressSection;
use crate::launcher::settings::layered;

/// Every setting of `village-node`.
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NodeSettings {
    pub node: NodeHostSection,
    pub relay: RelaySection,
    pub egress: EgressSection,
    pub metrics: NodeMetricsSection,
}

/// This node and its engine.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NodeHostSection {
    /// The node's name in the launcher's settings (`sparky2`).
    pub name: String,
    /// This host's engine: `unix:///var/run/docker.sock`.
    pub endpoint: String,
    /// Every engine call's time limit.
    pub call_timeout_ms: u64,
}

/// The API socket this node's containers use, and where it leads.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RelaySection {
    /// The socket file: `api.sock` in the launcher's `launch.api_socket_dir`; empty: no relay.
    pub socket: PathBuf,
    /// The server's agent door (`server.agent_bind`), `host:port` as this node reaches it (over
    /// a private network); the public listener refuses the containers' tokens.
    pub server: String,
    /// Connections relayed at once.
    pub connections_max: usize,
    /// Longest wait to reach the server.
    pub connect_timeout_ms: u64,
    /// Longest a relayed connection lives.
    pub connection_time_max_ms: u64,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NodeMetricsSection {
    pub bind: SocketAddr,
}

impl Default for NodeHostSection {
    fn default() -> Self {
        NodeHostSection {
            name: String::new(),
            endpoint: "unix:///var/run/docker.sock".into(),
            call_timeout_ms: 20_000,
        }
    }
}

impl Default for RelaySection {
    fn default() -> Self {
        RelaySection {
            socket: PathBuf::from("/run/aivillage/api/api.sock"),
            server: String::new(),
            connections_max: 256,
            connect_timeout_ms: 5_000,
            connection_time_max_ms: 300_000,
        }
    }
}

impl Default for NodeMetricsSection {
    fn default() -> Self {
        NodeMetricsSection {
            bind: SocketAddr::from(([127, 0, 0, 1], 9465)),
        }
    }
}

/// Why settings could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("invalid node settings: {0}")]
pub struct NodeSettingsError(String);

impl NodeSettings {
    /// Loads defaults, then `file` (if given), then `VILLAGE_NODE__*` variables; checks the
    /// result.
    pub fn load(file: Option<&Path>) -> Result<NodeSettings, NodeSettingsError> {
        let settings: NodeSettings = layered(file, "VILLAGE_NODE__").map_err(NodeSettingsError)?;
        settings.check()?;
        Ok(settings)
    }

    /// Refuses settings the node cannot run with, naming the setting.
    pub fn check(&self) -> Result<(), NodeSettingsError> {
        let bad = |message: &str| Err(NodeSettingsError(message.to_string()));
        if self.node.name.is_empty() {
            return bad("node.name: the node's name in the launcher's settings is needed");
        }
        let relaying = !self.relay.socket.as_os_str().is_empty();
        if !relaying && !self.egress.enabled {
            return bad("nothing to do: relay.socket is empty and egress is off");
        }
        if relaying && self.relay.server.is_empty() {
            return bad("relay.server: the server's host:port is needed to relay the API socket");
        }
        if relaying && self.relay.server.contains("://") {
            return bad("relay.server is host:port, without a scheme");
        }
        if relaying && self.relay.connections_max == 0 {
            return bad("relay.connections_max must be at least 1");
        }
        if self.egress.enabled {
            self.egress.policy().map_err(NodeSettingsError)?;
            if self.egress.port == 0 {
                return bad("egress.port: the launcher's port is needed (0 picks any)");
            }
        }
        Ok(())
    }

    pub fn call_timeout(&self) -> Duration {
        Duration::from_millis(self.node.call_timeout_ms)
    }

    pub fn connect_timeout(&self) -> Duration {
        Duration::from_millis(self.relay.connect_timeout_ms)
    }

    pub fn connection_time_max(&self) -> Duration {
        Duration::from_millis(self.relay.connection_time_max_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_sets_the_node_and_each_bad_setting_is_named() {
        // A complete file loads; each missing or wrong setting is refused by name.
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("node.toml");
        std::fs::write(
            &file,
            "[node]\nname = \"sparky2\"\n[relay]\nserver = \"10.0.0.1:8080\"\n\
             [egress]\nenabled = true\nport = 3128\n",
        )
        .unwrap();
        let settings = NodeSettings::load(Some(&file)).unwrap();
        assert_eq!(settings.node.name, "sparky2");
        assert_eq!(settings.relay.server, "10.0.0.1:8080");
        assert!(settings.egress.enabled);

        let refused = |change: fn(&mut NodeSettings), setting: &str| {
            let mut bad = settings.clone();
            change(&mut bad);
            let error = bad.check().unwrap_err().to_string();
            assert!(error.contains(setting), "{setting}: {error}");
        };
        refused(|s| s.node.name.clear(), "node.name");
        refused(|s| s.relay.server.clear(), "relay.server");
        refused(
            |s| s.relay.server = "http://10.0.0.1:8080".into(),
            "relay.server",
        );
        refused(|s| s.relay.connections_max = 0, "relay.connections_max");
        refused(|s| s.egress.port = 0, "egress.port");
        refused(|s| s.egress.ports.clear(), "egress.ports");
        refused(
            |s| {
                s.relay.socket = PathBuf::new();
                s.egress.enabled = false;
            },
            "nothing to do",
        );
        std::fs::write(&file, "[node]\nname = \"sparky2\"\nbogus = 1\n").unwrap();
        assert!(NodeSettings::load(Some(&file)).is_err());
        assert!(NodeSettings::load(Some(&dir.path().join("missing.toml"))).is_err());
    }

    #[test]
    fn the_shipped_node_file_loads() {
        // deploy/node/node.toml stays a valid, complete file for sparky2, scraped where it
        // serves its metrics.
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/node/node.toml");
        let settings = NodeSettings::load(Some(&file)).unwrap();
        assert_eq!(settings.node.name, "sparky2");
        // Prometheus scrapes the node where it serves its metrics.
        let scrape = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/prometheus/prometheus.yml"),
        )
        .unwrap();
        let target = format!("\"{}\"", settings.metrics.bind);
        assert!(scrape.contains(&target), "{target} not scraped");
        // Prometheus scrapes the node where it serves its metrics.
        let scrape = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/prometheus/prometheus.yml"),
        )
        .unwrap();
        let target = format!("\"{}\"", settings.metrics.bind);
        assert!(scrape.contains(&target), "{target} not scraped");
        assert_eq!(
            settings.relay.socket,
            Path::new("/run/aivillage/api/api.sock")
        );
    }
}
