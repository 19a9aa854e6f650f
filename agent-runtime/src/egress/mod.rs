//! The egress proxy: how an agent whose tier allows egress reaches the internet, and the only
//! way it can. It is an HTTP forward proxy (`CONNECT host:443` tunnels for HTTPS, absolute-form
//! `GET http://...` for plain HTTP) that the runtime runs on each node, listening on the egress
//! network's gateway, which agent containers on that (internal) network can reach and nothing
//! else. Every request must carry the agent's proxy credential ([`credentials`]); every
//! destination must pass the [`policy`]; every request, allowed or refused, becomes one
//! [`EgressRecord`], logged as a line and counted. Bounded: connections at once
//! ([`EgressSettings::connections_max`]), a tunnel's lifetime, a plain response's size.
//! It must not reach the village's own API: that goes through the API socket, never here.

pub mod credentials;
pub mod firewall;
pub mod metrics;
pub mod policy;
mod serve;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use shared::AgentId;

pub use credentials::ProxyKey;
pub use policy::Policy;
pub use serve::serve;

/// How an agent container of a tier with egress goes out: joined to `network` (internal: its
/// only reachable address is its node's proxy), with its own proxy URL in its environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EgressRoute {
    /// The engine network the container joins, on every node.
    pub network: String,
    /// Each node's proxy, `host:port` as that node's containers reach it (the network's
    /// gateway there).
    pub proxies: BTreeMap<String, String>,
    pub key: ProxyKey,
}

impl EgressRoute {
    /// The environment that sends the HTTP of `agent`, placed on `node`, through that node's
    /// proxy, under both spellings tools read; `None` where the node has no proxy.
    pub fn environment(&self, agent: AgentId, node: &str) -> Option<Vec<(String, String)>> {
        let url = self.key.proxy_url(agent, self.proxies.get(node)?);
        let variables = ["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"]
            .into_iter()
            .map(|name| (name.to_string(), url.clone()))
            .chain([("VILLAGE_EGRESS_PROXY".to_string(), url.clone())])
            .collect();
        Some(variables)
    }
}

/// How the proxy runs.
#[derive(Debug, Clone)]
pub struct EgressSettings {
    pub key: ProxyKey,
    pub policy: Policy,
    /// Connections served at once; more wait for a free slot.
    pub connections_max: usize,
    /// Longest a tunnel stays open.
    pub tunnel_time_max: Duration,
    /// Largest plain-HTTP response passed back, in bytes.
    pub response_bytes_max: usize,
    /// Longest wait to connect to a destination.
    pub connect_timeout: Duration,
}

impl EgressSettings {
    /// The defaults around `key` and `policy`.
    pub fn new(key: ProxyKey, policy: Policy) -> EgressSettings {
        EgressSettings {
            key,
            policy,
            connections_max: 64,
            tunnel_time_max: Duration::from_secs(600),
            response_bytes_max: 2 * 1024 * 1024,
            connect_timeout: Duration::from_secs(10),
        }
    }
}

/// One request through the proxy, as logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EgressRecord {
    /// The agent its credential proves; `None` when it proved none.
    pub agent: Option<AgentId>,
    /// Where the request came from (the container's address).
    pub peer: SocketAddr,
    /// `CONNECT`, `GET`, ...
    pub method: String,
    /// `host:port` asked for.
    pub target: String,
    /// The status the proxy answered.
    pub status: u16,
    /// Why it was refused, if it was.
    pub refusal: Option<String>,
    /// Bytes from the agent to the destination, and back.
    pub bytes_up: u64,
    pub bytes_down: u64,
    pub duration_ms: u64,
}

#[cfg(test)]
mod tests;
