//! What the launcher tells the server about each agent's container after a pass: node, state,
//! restarts, and for an exited container its exit code and whether the OOM killer ended it
//! (from an inspection), for a running one its memory and CPU (from one stats sample; CPU as a
//! rate between this sample and the previous one), and for every container the disk its agent
//! fills, from the latest measurement (`disk_check.rs`). Reading is bounded: one inspection or
//! one sample per container, and a failed read leaves that field empty rather than the report
//! out.

use std::collections::HashMap;
use std::time::Instant;

use shared::AgentId;
use shared::runtime::ContainerReport;

use super::disk_check::{DiskCheck, DiskLedger};
use crate::backend::{ContainerBackend, RunState};
use crate::reconcile::{PassReport, Reconciler, TokenSource};

/// The previous CPU sample of each agent's container (when, its container, CPU nanoseconds),
/// and the disk measurements when they are made.
#[derive(Debug, Default)]
pub struct Reporter {
    cpu: HashMap<AgentId, (Instant, String, u64)>,
    disk: Option<DiskLedger>,
}

impl Reporter {
    /// A reporter that also measures each agent's disk as `check` says.
    pub fn measuring_disk(check: DiskCheck) -> Reporter {
        Reporter {
            cpu: HashMap::new(),
            disk: Some(DiskLedger::new(check)),
        }
    }

    /// Reports on every agent container the pass listed.
    pub async fn collect<B: ContainerBackend, T: TokenSource>(
        &mut self,
        pass: &PassReport,
        reconciler: &Reconciler<B, T>,
    ) -> Vec<ContainerReport> {
        if let Some(disk) = &mut self.disk {
            disk.refresh(pass, reconciler, Instant::now()).await;
        }
        let mut reports = Vec::new();
        let mut sampled = HashMap::new();
        for listed in &pass.containers {
            let Some(agent) = listed.agent else { continue };
            let Some(backend) = reconciler.node_backend(&listed.node) else {
                continue;
            };
            let mut report = ContainerReport {
                agent,
                node: listed.node.clone(),
                state: listed.state.as_str().to_string(),
                restarts: reconciler.restarts(agent),
                exit_code: None,
                oom_killed: false,
                memory_bytes: None,
                cpu_millicores: None,
                disk: self.disk.as_ref().and_then(|disk| disk.of(agent)),
            };
            match listed.state {
                RunState::Exited | RunState::Dead => {
                    if let Ok(Some(details)) = backend.inspect(&listed.name).await {
                        report.exit_code = details.exit_code;
                        report.oom_killed = details.oom_killed;
                    }
                }
                RunState::Running => {
                    if let Ok(Some(stats)) = backend.stats(&listed.name).await {
                        let now = Instant::now();
                        report.memory_bytes = Some(stats.memory_bytes);
                        report.cpu_millicores = self.cpu.get(&agent).and_then(|previous| {
                            rate(previous, &listed.name, now, stats.cpu_total_ns)
                        });
                        sampled.insert(agent, (now, listed.name.clone(), stats.cpu_total_ns));
                    }
                }
                _ => {}
            }
            reports.push(report);
        }
        // Only containers sampled now keep a previous sample: a stopped one starts over.
        self.cpu = sampled;
        reports
    }
}

/// Thousandths of a core used between the previous sample and this one, if both are of the
/// same container and its counter did not go back (a restart).
fn rate(previous: &(Instant, String, u64), name: &str, now: Instant, cpu_ns: u64) -> Option<u64> {
    let (then, previous_name, previous_ns) = previous;
    let wall_ns = now.checked_duration_since(*then)?.as_nanos();
    if previous_name != name || cpu_ns < *previous_ns || wall_ns == 0 {
        return None;
    }
    let used_ns = u128::from(cpu_ns - previous_ns);
    u64::try_from(used_ns * 1000 / wall_ns).ok()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn cpu_is_a_rate_between_two_samples_of_one_container() {
        // Half a core over two seconds is 500; another container or a counter that went back
        // (a restart) gives no rate.
        let then = Instant::now();
        let now = then + Duration::from_secs(2);
        let previous = (then, "aivillage-agent-1".to_string(), 1_000_000_000);
        assert_eq!(
            rate(&previous, "aivillage-agent-1", now, 2_000_000_000),
            Some(500)
        );
        assert_eq!(
            rate(&previous, "aivillage-agent-2", now, 2_000_000_000),
            None
        );
        assert_eq!(rate(&previous, "aivillage-agent-1", now, 10), None);
        assert_eq!(
            rate(&previous, "aivillage-agent-1", then, 2_000_000_000),
            None
        );
    }
}
