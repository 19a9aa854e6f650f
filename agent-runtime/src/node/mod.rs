//! `village-node`: what runs on each node besides the one the launcher runs on (sparky2, ...).
//! Agent containers there have no network; they reach the server through the API socket their
//! host mounts into them, which this [`relay`]s to the server's TCP address. Agents of tiers
//! with egress go out through this node's own egress proxy, on its egress network's gateway,
//! with the launcher's key and port. It runs no containers and decides nothing: the launcher
//! places, starts and stops every agent on every node through the node's engine.

pub mod relay;
pub mod settings;

use std::sync::Arc;

use prometheus_client::registry::Registry;

use crate::egress::metrics::EgressMetrics;
use crate::launcher::metrics::render_registry;
use relay::RelayCounters;

/// The node's metrics: relayed connections and its egress proxy's requests.
pub struct NodeMetrics {
    registry: Registry,
    pub relay: RelayCounters,
    pub egress: EgressMetrics,
}

impl NodeMetrics {
    pub fn new() -> Arc<NodeMetrics> {
        let mut registry = Registry::default();
        let relay = RelayCounters::default();
        registry.register(
            "village_node_relayed_connections",
            "Agent connections relayed from the API socket to the server",
            relay.relayed.clone(),
        );
        registry.register(
            "village_node_relay_unreachable",
            "Agent connections closed because the server could not be reached",
            relay.unreachable.clone(),
        );
        registry.register(
            "village_node_relay_timed_out",
            "Agent connections the relay closed at the end of their lifetime",
            relay.timed_out.clone(),
        );
        let egress = EgressMetrics::default();
        egress.register(&mut registry);
        Arc::new(NodeMetrics {
            registry,
            relay,
            egress,
        })
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        render_registry(&self.registry)
    }
}
