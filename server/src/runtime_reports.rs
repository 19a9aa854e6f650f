//! The latest container report of each agent from the agent runtime (`POST /runtime/reports`):
//! node, container state, restarts, exit code, OOM kills, memory, CPU and disk. Kept in memory only,
//! one entry per agent (a restarted server shows nothing until the runtime's next report, a
//! few seconds later); shown in the agent's kill-switch view.

use std::collections::HashMap;
use std::sync::Mutex;

use serde::Serialize;
use shared::AgentId;
use shared::runtime::ContainerReport;
use utoipa::ToSchema;

/// Most reports in one call (50 of the usual ~200 bytes fit the default 16 KiB body limit;
/// the runtime sends 25 a call, so that even reports with every field at its longest fit).
pub const REPORTS_PER_CALL_MAX: usize = 50;
/// Longest node name or state, in characters.
pub const REPORT_FIELD_CHARS_MAX: usize = 64;

/// A report and when the server got it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ReceivedReport {
    pub report: ContainerReport,
    pub received_at_ms: i64,
}

/// The latest report per agent.
#[derive(Debug, Default)]
pub struct RuntimeReports {
    latest: Mutex<HashMap<AgentId, ReceivedReport>>,
}

impl RuntimeReports {
    fn latest(&self) -> std::sync::MutexGuard<'_, HashMap<AgentId, ReceivedReport>> {
        // Each write replaces one whole entry: a poisoned lock still holds whole entries.
        self.latest.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keeps `report` as its agent's latest.
    pub fn record(&self, report: ContainerReport, now_ms: i64) {
        self.latest().insert(
            report.agent,
            ReceivedReport {
                report,
                received_at_ms: now_ms,
            },
        );
    }

    /// The agent's latest report, if any came since the server started.
    pub fn get(&self, agent: AgentId) -> Option<ReceivedReport> {
        self.latest().get(&agent).cloned()
    }

    /// Drops the reports of agents not in `keep` (deleted agents), so the map stays bounded by
    /// the village.
    pub fn retain(&self, keep: &std::collections::HashSet<AgentId>) {
        self.latest().retain(|agent, _| keep.contains(agent));
    }
}
