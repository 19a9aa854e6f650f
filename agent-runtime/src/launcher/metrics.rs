//! The launcher's Prometheus metrics, in its own registry, set from each pass's report:
//! containers by node and state, nodes up, reconcile duration, container start latency,
//! actions by kind and outcome, agents that could not be placed or keep failing, and failed
//! reads of the server's desired state; and the local egress proxy's requests and bytes.

use std::collections::BTreeMap;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

use crate::egress::metrics::EgressMetrics;
use crate::plan::Action;
use crate::reconcile::PassReport;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct NodeStateLabels {
    pub node: String,
    /// `running`, `paused`, `exited`, ...
    pub state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct NodeLabels {
    pub node: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ActionLabels {
    /// `place`, `start`, `pause`, `resume`, `stop`, `kill`, `update_limits`, `remove`.
    pub action: String,
    /// `ok` or `failed`.
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ConditionLabels {
    /// `unplaced`, `backing_off` or `failing`.
    pub condition: String,
}

/// Every metric the launcher exports.
pub struct RuntimeMetrics {
    registry: Registry,
    containers: Family<NodeStateLabels, Gauge>,
    nodes_up: Family<NodeLabels, Gauge>,
    reconcile_duration: Histogram,
    start_duration: Histogram,
    actions: Family<ActionLabels, Counter>,
    agents: Family<ConditionLabels, Gauge>,
    pub desired_failures: Counter,
    /// The local node's egress proxy.
    pub egress: EgressMetrics,
}

impl Default for RuntimeMetrics {
    fn default() -> Self {
        RuntimeMetrics::new()
    }
}

impl RuntimeMetrics {
    pub fn new() -> RuntimeMetrics {
        let mut registry = Registry::default();
        let containers = Family::<NodeStateLabels, Gauge>::default();
        let nodes_up = Family::<NodeLabels, Gauge>::default();
        let reconcile_duration = Histogram::new(exponential_buckets(0.001, 2.0, 16));
        let start_duration = Histogram::new(exponential_buckets(0.01, 2.0, 14));
        let actions = Family::<ActionLabels, Counter>::default();
        let agents = Family::<ConditionLabels, Gauge>::default();
        let desired_failures = Counter::default();
        registry.register(
            "village_runtime_containers",
            "Agent containers by node and state, as of the last pass",
            containers.clone(),
        );
        registry.register(
            "village_runtime_node_up",
            "1 when the node's engine answered the last pass",
            nodes_up.clone(),
        );
        registry.register_with_unit(
            "village_runtime_reconcile_duration",
            "Time of one reconcile pass, listing included",
            Unit::Seconds,
            reconcile_duration.clone(),
        );
        registry.register_with_unit(
            "village_runtime_start_duration",
            "Time from create to a started, checked container",
            Unit::Seconds,
            start_duration.clone(),
        );
        registry.register(
            "village_runtime_actions",
            "Reconcile actions by kind and outcome",
            actions.clone(),
        );
        registry.register(
            "village_runtime_agents",
            "Agents that could not be placed, wait out a crash loop, or keep failing",
            agents.clone(),
        );
        registry.register(
            "village_runtime_desired_failures",
            "Passes skipped because the server's desired state could not be read",
            desired_failures.clone(),
        );
        let egress = EgressMetrics::default();
        egress.register(&mut registry);
        RuntimeMetrics {
            registry,
            egress,
            containers,
            nodes_up,
            reconcile_duration,
            start_duration,
            actions,
            agents,
            desired_failures,
        }
    }

    /// Sets the gauges and counts the actions of one pass that took `took`.
    pub fn observe(&self, report: &PassReport, took: Duration) {
        self.reconcile_duration.observe(took.as_secs_f64());
        self.containers.clear();
        let mut counts: BTreeMap<(String, String), i64> = BTreeMap::new();
        for listed in &report.containers {
            *counts
                .entry((listed.node.clone(), listed.state.as_str().to_string()))
                .or_default() += 1;
        }
        for ((node, state), count) in counts {
            self.containers
                .get_or_create(&NodeStateLabels { node, state })
                .set(count);
        }
        for (node, up) in &report.nodes {
            self.nodes_up
                .get_or_create(&NodeLabels { node: node.clone() })
                .set(i64::from(*up));
        }
        let count = |outcome: &str, action: &Action| {
            self.actions
                .get_or_create(&ActionLabels {
                    action: action.kind().to_string(),
                    outcome: outcome.to_string(),
                })
                .inc();
        };
        report.done.iter().for_each(|action| count("ok", action));
        report
            .failed
            .iter()
            .for_each(|(action, _)| count("failed", action));
        for took in &report.start_durations {
            self.start_duration.observe(took.as_secs_f64());
        }
        for (condition, agents) in [
            ("unplaced", report.unplaced.len()),
            ("backing_off", report.backing_off.len()),
            ("failing", report.failing.len()),
        ] {
            self.agents
                .get_or_create(&ConditionLabels {
                    condition: condition.to_string(),
                })
                .set(i64::try_from(agents).unwrap_or(i64::MAX));
        }
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        render_registry(&self.registry)
    }
}

/// `registry` in the text exposition format.
pub fn render_registry(registry: &Registry) -> String {
    let mut text = String::new();
    // Writing into a String cannot fail.
    let _ = prometheus_client::encoding::text::encode(&mut text, registry);
    text
}
