//! Egress at the launcher's start, when `[egress] enabled`: the proxy's key (read, or made once
//! with 32 random bytes, mode 0600), the internal egress network on every node, the host
//! firewall around it, and the proxy itself, run in this process on the local (first) node's
//! network gateway. Every other node runs its own proxy, with the same key and port, in its
//! `village-node` (which calls [`serve_local_proxy`] too). The result is the [`EgressRoute`]
//! the reconciler gives egress-tier containers. Off by default: then no container has a route
//! out.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::backend::{BackendError, ContainerBackend, InternalNetwork};
use crate::egress::credentials::KEY_BYTES_MIN;
use crate::egress::metrics::EgressMetrics;
use crate::egress::{EgressRoute, EgressSettings, Policy, ProxyKey, firewall, serve};

/// Records waiting to be drained; the proxy drops (and warns) beyond this.
const RECORDS_QUEUED_MAX: usize = 1024;

/// The `[egress]` settings.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EgressSection {
    /// Off by default: every agent container has no network.
    pub enabled: bool,
    /// The engine network egress-tier containers join; made internal on each node.
    pub network: String,
    /// The proxy's port on that network's gateway.
    pub port: u16,
    /// The proxy's key; made (32 random bytes, mode 0600) when missing.
    pub key_file: PathBuf,
    /// Destination ports agents may reach.
    pub ports: Vec<u16>,
    /// Address ranges (CIDR) agents may reach although they are not public.
    pub allowed_ranges: Vec<String>,
    /// Closes this host to the egress network but for the proxy (iptables); on by default.
    pub firewall: bool,
}

impl Default for EgressSection {
    fn default() -> Self {
        EgressSection {
            enabled: false,
            network: "aivillage-egress".into(),
            port: 3128,
            key_file: PathBuf::from("/var/lib/aivillage/egress.key"),
            ports: vec![80, 443],
            allowed_ranges: Vec::new(),
            firewall: true,
        }
    }
}

impl EgressSection {
    /// The destination policy, or the range that does not parse.
    pub fn policy(&self) -> Result<Policy, String> {
        let allowed_ranges = self
            .allowed_ranges
            .iter()
            .map(|range| {
                range
                    .parse()
                    .map_err(|_| format!("egress.allowed_ranges: {range:?} is not a CIDR range"))
            })
            .collect::<Result<_, _>>()?;
        if self.ports.is_empty() {
            return Err("egress.ports: at least one port is needed".into());
        }
        Ok(Policy {
            ports: self.ports.clone(),
            allowed_ranges,
        })
    }
}

/// Sets egress up on `nodes` and starts the proxy of the first, the launcher's own node (the
/// others' proxies are their `village-node`s', on the same port); the route, or `None` when
/// egress is off. A node that does not answer yet is left out of the route (its egress-tier
/// agents are not placed there) until [`add_missing_proxies`] finds it.
pub async fn start_egress<B: ContainerBackend>(
    section: &EgressSection,
    nodes: &[B],
    metrics: EgressMetrics,
    stop: CancellationToken,
) -> anyhow::Result<Option<EgressRoute>> {
    if !section.enabled {
        tracing::info!("egress is off: agent containers get no network");
        return Ok(None);
    }
    if section.port == 0 && nodes.len() > 1 {
        anyhow::bail!(
            "egress.port 0 (any free port) works with one node only: the other nodes' proxies must listen on a known port"
        );
    }
    section.policy().map_err(anyhow::Error::msg)?;
    let key = ProxyKey::new(load_or_make_key(&section.key_file)?).map_err(anyhow::Error::msg)?;
    let mut route = EgressRoute {
        network: section.network.clone(),
        proxies: BTreeMap::new(),
        key,
    };
    add_missing_proxies(section, nodes, &mut route, &metrics, &stop).await?;
    Ok(Some(route))
}

/// Gives `route` the proxy of each node it lacks: the first node's served by this process,
/// the others' addresses on their own networks. A node whose engine does not answer is left
/// for the next call; anything else (the proxy cannot listen, the firewall cannot be set) is
/// an error.
pub async fn add_missing_proxies<B: ContainerBackend>(
    section: &EgressSection,
    nodes: &[B],
    route: &mut EgressRoute,
    metrics: &EgressMetrics,
    stop: &CancellationToken,
) -> anyhow::Result<()> {
    for (index, node) in nodes.iter().enumerate() {
        if route.proxies.contains_key(node.node()) {
            continue;
        }
        let network = match node.ensure_internal_network(&section.network).await {
            Ok(network) => network,
            Err(error @ (BackendError::Unreachable { .. } | BackendError::Timeout { .. })) => {
                tracing::warn!(node = node.node(), %error, "no egress route on this node until its engine answers");
                continue;
            }
            Err(error) => {
                return Err(error)
                    .with_context(|| format!("the egress network on node {}", node.node()));
            }
        };
        let address = if index == 0 {
            let key = route.key.clone();
            serve_on(
                section,
                &network,
                node.node(),
                key,
                metrics.clone(),
                stop.clone(),
            )
            .await?
        } else {
            let address = format!("{}:{}", network.gateway, section.port);
            tracing::info!(
                node = node.node(), proxy = %address,
                "this node's egress-tier agents go out through its village-node's proxy"
            );
            address
        };
        route.proxies.insert(node.node().to_string(), address);
    }
    Ok(())
}

/// A proxy serving one node's egress network.
pub struct LocalProxy {
    /// The `host:port` it listens on (the network's gateway).
    pub listen: String,
    pub key: ProxyKey,
}

/// On `node`, the engine of this very host: makes the egress network, closes the host to it
/// but for the proxy (unless `firewall` is off), and serves the proxy on its gateway until
/// `stop`.
pub async fn serve_local_proxy<B: ContainerBackend>(
    section: &EgressSection,
    node: &B,
    metrics: EgressMetrics,
    stop: CancellationToken,
) -> anyhow::Result<LocalProxy> {
    let key = ProxyKey::new(load_or_make_key(&section.key_file)?).map_err(anyhow::Error::msg)?;
    let network = node
        .ensure_internal_network(&section.network)
        .await
        .with_context(|| format!("the egress network on node {}", node.node()))?;
    let listen = serve_on(section, &network, node.node(), key.clone(), metrics, stop).await?;
    Ok(LocalProxy { listen, key })
}

/// Serves the proxy on `network`'s gateway, behind the firewall; the address it listens on.
async fn serve_on(
    section: &EgressSection,
    network: &InternalNetwork,
    node: &str,
    key: ProxyKey,
    metrics: EgressMetrics,
    stop: CancellationToken,
) -> anyhow::Result<String> {
    let policy = section.policy().map_err(anyhow::Error::msg)?;
    let listen = format!("{}:{}", network.gateway, section.port);
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .with_context(|| format!("the egress proxy cannot listen on {listen}"))?;
    // The address bound (port 0 picks a free one, for tests).
    let bound = listener
        .local_addr()
        .context("the egress proxy's address")?;
    if section.firewall {
        firewall::guard_gateway(&network.bridge, &network.gateway, bound.port())
            .context("closing the host to the egress network (egress.firewall)")?;
    } else {
        tracing::warn!(
            bridge = %network.bridge,
            "egress.firewall is off: agents on the egress network can reach every service this host listens with on all addresses"
        );
    }
    let (records, mut drained) = mpsc::channel(RECORDS_QUEUED_MAX);
    tokio::spawn(serve(
        listener,
        EgressSettings::new(key, policy),
        records,
        stop,
    ));
    // Each record is already logged (target `egress`); here it is counted.
    tokio::spawn(async move {
        while let Some(record) = drained.recv().await {
            metrics.record(&record);
        }
    });
    tracing::info!(listen = %bound, network = %section.network, node, "egress proxy listening");
    Ok(bound.to_string())
}

/// The key in `path`, or a new one written there (only the owner may read it).
fn load_or_make_key(path: &Path) -> anyhow::Result<Vec<u8>> {
    if path.exists() {
        let key = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        return Ok(key);
    }
    let mut key = vec![0u8; KEY_BYTES_MIN];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut random| random.read_exact(&mut key))
        .context("reading /dev/urandom")?;
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder).with_context(|| format!("making {}", folder.display()))?;
    }
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut file| file.write_all(&key))
        .with_context(|| format!("writing {}", path.display()))?;
    tracing::info!(path = %path.display(), "made the egress proxy's key");
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_made_once_only_for_its_owner_and_read_after() {
        // The first call writes 32 random bytes with mode 0600; the second reads the same.
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys").join("egress.key");
        let made = load_or_make_key(&path).unwrap();
        assert_eq!(made.len(), KEY_BYTES_MIN);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(load_or_make_key(&path).unwrap(), made);
    }

    #[test]
    fn bad_ranges_and_no_ports_are_named() {
        // A range that does not parse and an empty port list are refused with the setting.
        let mut section = EgressSection::default();
        assert_eq!(section.policy().unwrap(), Policy::default());
        section.allowed_ranges = vec!["10.0.0.0/33".into()];
        assert!(
            section
                .policy()
                .unwrap_err()
                .contains("egress.allowed_ranges")
        );
        section.allowed_ranges.clear();
        section.ports.clear();
        assert!(section.policy().unwrap_err().contains("egress.ports"));
    }
}
