//! How much disk each agent fills, measured every so often for the reports: its container's
//! writable layer (the engine's count) plus its workspace (the node's meter container). The
//! server compares the sum with the agent's tier and pauses an agent over it (ADR 0013).
//!
//! A measurement walks files, so it runs at most once per `every`, and the reports in between
//! carry the latest one. A layer the engine could not count in the call limit is reported as
//! an incomplete count (which the server treats as over the limit: the usual reason is more
//! files than can be counted); any other failure leaves that agent's disk out of the report.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use shared::AgentId;
use shared::runtime::DiskUse;

use crate::backend::{BackendError, ContainerBackend, WorkspaceMeter};
use crate::reconcile::{PassReport, Reconciler, TokenSource};

/// When and how to measure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskCheck {
    pub meter: WorkspaceMeter,
    /// The time between two measurements.
    pub every: Duration,
}

/// The latest measurement of every agent, and when it was made.
#[derive(Debug)]
pub struct DiskLedger {
    check: DiskCheck,
    measured_at: Option<Instant>,
    latest: HashMap<AgentId, DiskUse>,
}

impl DiskLedger {
    pub fn new(check: DiskCheck) -> DiskLedger {
        DiskLedger {
            check,
            measured_at: None,
            latest: HashMap::new(),
        }
    }

    /// The agent's latest measured disk, if any.
    pub fn of(&self, agent: AgentId) -> Option<DiskUse> {
        self.latest.get(&agent).copied()
    }

    /// Measures every agent container the pass listed, when a measurement is due.
    pub async fn refresh<B: ContainerBackend, T: TokenSource>(
        &mut self,
        pass: &PassReport,
        reconciler: &Reconciler<B, T>,
        now: Instant,
    ) {
        let due = self
            .measured_at
            .is_none_or(|at| now.saturating_duration_since(at) >= self.check.every);
        if !due {
            return;
        }
        self.measured_at = Some(now);
        let mut by_node: HashMap<&str, Vec<(AgentId, &str)>> = HashMap::new();
        for listed in &pass.containers {
            if let Some(agent) = listed.agent {
                by_node
                    .entry(listed.node.as_str())
                    .or_default()
                    .push((agent, listed.name.as_str()));
            }
        }
        let mut latest = HashMap::new();
        for (node, containers) in by_node {
            let Some(backend) = reconciler.node_backend(node) else {
                continue;
            };
            let began = Instant::now();
            latest.extend(measure_node(backend, &self.check.meter, &containers).await);
            tracing::debug!(
                node,
                agents = containers.len(),
                took_ms = began.elapsed().as_millis() as u64,
                "disk measured"
            );
        }
        self.latest = latest;
    }
}

/// Layer plus workspace of each of one node's containers.
async fn measure_node<B: ContainerBackend>(
    backend: &B,
    meter: &WorkspaceMeter,
    containers: &[(AgentId, &str)],
) -> Vec<(AgentId, DiskUse)> {
    let agents: Vec<AgentId> = containers.iter().map(|(agent, _)| *agent).collect();
    let workspaces: HashMap<AgentId, DiskUse> =
        match backend.measure_workspaces(meter, &agents).await {
            Ok(counted) => counted.into_iter().collect(),
            Err(error) => {
                tracing::warn!(node = backend.node(), %error, "workspaces not measured");
                return Vec::new();
            }
        };
    let mut measured = Vec::new();
    for (agent, name) in containers {
        let Some(workspace) = workspaces.get(agent) else {
            continue;
        };
        let layer = match backend.writable_layer_bytes(name).await {
            Ok(Some(bytes)) => DiskUse {
                bytes,
                entries: 0,
                complete: true,
            },
            Ok(None) => continue,
            Err(BackendError::Timeout { .. }) => DiskUse {
                bytes: 0,
                entries: 0,
                complete: false,
            },
            Err(error) => {
                tracing::warn!(%agent, %error, "writable layer not measured");
                continue;
            }
        };
        measured.push((*agent, layer.plus(*workspace)));
    }
    measured
}
