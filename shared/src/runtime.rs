//! What the server tells the agent runtime about each agent container (`GET /runtime/agents`):
//! shared so the server writes and the runtime reads the very same types.

use serde::{Deserialize, Serialize};

use crate::agent::AgentStatus;
use crate::ids::AgentId;
use crate::tier::Entitlements;

/// How an admin holds an agent through the kill switch; no hold means its container runs.
/// Every hold refuses the agent's actions in the world (its status is `paused`, or
/// `quarantined` for a quarantine) until an admin resumes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Hold {
    /// The container is frozen in place (its processes keep their memory).
    Pause,
    /// The container is stopped: SIGTERM, then SIGKILL after the grace period.
    Stop,
    /// The container is killed at once (SIGKILL, no grace).
    Kill,
    /// Killed at once, its token replaced by one nobody holds; the stopped container is kept
    /// for review.
    Quarantine,
}

impl Hold {
    pub fn as_str(self) -> &'static str {
        match self {
            Hold::Pause => "pause",
            Hold::Stop => "stop",
            Hold::Kill => "kill",
            Hold::Quarantine => "quarantine",
        }
    }

    pub fn parse(s: &str) -> Option<Hold> {
        [Hold::Pause, Hold::Stop, Hold::Kill, Hold::Quarantine]
            .into_iter()
            .find(|hold| hold.as_str() == s)
    }

    /// The agent's status in the world while held.
    pub fn status(self) -> AgentStatus {
        match self {
            Hold::Quarantine => AgentStatus::Quarantined,
            Hold::Pause | Hold::Stop | Hold::Kill => AgentStatus::Paused,
        }
    }
}

/// What decides an agent's actions inside its container (`VILLAGE_BRAIN`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AgentBrain {
    /// Rules, no LLM.
    #[default]
    Scripted,
    /// A model through the server's LLM gateway, paid from the agent's balance.
    Llm,
}

impl AgentBrain {
    pub fn as_str(self) -> &'static str {
        match self {
            AgentBrain::Scripted => "scripted",
            AgentBrain::Llm => "llm",
        }
    }

    pub fn parse(s: &str) -> Option<AgentBrain> {
        [AgentBrain::Scripted, AgentBrain::Llm]
            .into_iter()
            .find(|brain| brain.as_str() == s)
    }
}

/// The state an agent's container should be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ContainerWant {
    /// No hold: the container runs.
    Running,
    /// Paused: the container exists, frozen.
    Paused,
    /// Stopped, or its token revoked: nothing of it runs; a running container gets the
    /// grace period.
    Stopped,
    /// Killed or quarantined: nothing of it runs; a running container is killed at once.
    Killed,
}

impl ContainerWant {
    /// From the agent's hold and whether its account is revoked.
    pub fn of(hold: Option<Hold>, revoked: bool) -> ContainerWant {
        match hold {
            Some(Hold::Kill | Hold::Quarantine) => ContainerWant::Killed,
            _ if revoked => ContainerWant::Stopped,
            Some(Hold::Stop) => ContainerWant::Stopped,
            Some(Hold::Pause) => ContainerWant::Paused,
            None => ContainerWant::Running,
        }
    }
}

/// One agent as the runtime should run it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RuntimeAgent {
    pub id: AgentId,
    pub account_id: u64,
    pub status: AgentStatus,
    pub want: ContainerWant,
    /// The kill switch's hold on the agent, if any.
    pub hold: Option<Hold>,
    /// Whether the agent's token is revoked (then `want` is `stopped`).
    pub revoked: bool,
    /// Whether its compute is frozen at the first tier (then `tier` is that tier).
    pub frozen: bool,
    /// Its brain (applies when its container is created).
    #[serde(default)]
    pub brain: AgentBrain,
    /// The tier in force now (balance or a running boost).
    pub tier: String,
    /// What that tier grants: the container's CPU, memory, pids and GPU among them.
    pub entitlements: Entitlements,
}

/// Every agent the runtime runs, by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RuntimeAgents {
    pub agents: Vec<RuntimeAgent>,
}

/// What the runtime last saw of one agent's container (`POST /runtime/reports`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContainerReport {
    pub agent: AgentId,
    /// The node it is on (at most 64 characters).
    #[cfg_attr(feature = "openapi", schema(max_length = 64))]
    pub node: String,
    /// The engine's state: `created`, `running`, `paused`, `restarting`, `exited`, `dead`, ...
    /// (at most 64 characters).
    #[cfg_attr(feature = "openapi", schema(max_length = 64))]
    pub state: String,
    /// Times this launcher started it again after it stopped (not counting its placement).
    pub restarts: u32,
    /// The last run's exit code, once it has exited.
    pub exit_code: Option<i64>,
    /// Whether the kernel's OOM killer ended its last run.
    pub oom_killed: bool,
    /// Memory in use, in bytes, when it runs.
    pub memory_bytes: Option<u64>,
    /// CPU used since the previous report, in thousandths of a core, when it runs and an
    /// earlier sample exists.
    pub cpu_millicores: Option<u64>,
    /// Disk the agent fills (its container's writable layer and its workspace), from the
    /// runtime's latest measurement; absent until one was made. Reports from a runtime that
    /// does not measure leave it out.
    #[serde(default)]
    pub disk: Option<DiskUse>,
}

/// One measurement of an agent's disk: what the runtime counted, and whether it counted
/// everything. A count cut short (too many files to walk in the measurement's time) is a
/// lower bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DiskUse {
    /// Bytes allocated on disk (blocks, so sparse files count what they hold), each file
    /// once however many links it has.
    pub bytes: u64,
    /// Files and folders counted.
    pub entries: u64,
    /// Whether every file was counted; `false`: the walk stopped at its time limit.
    pub complete: bool,
}

impl DiskUse {
    /// The sum of two parts (the writable layer and the workspace), complete only when both are.
    pub fn plus(self, other: DiskUse) -> DiskUse {
        DiskUse {
            bytes: self.bytes.saturating_add(other.bytes),
            entries: self.entries.saturating_add(other.entries),
            complete: self.complete && other.complete,
        }
    }
}

/// What became of a batch of reports (`POST /runtime/reports`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportsTaken {
    /// Reports kept as their agent's latest.
    pub accepted: usize,
    /// Agents the world does not know (deleted meanwhile); their reports are dropped.
    #[serde(default)]
    pub unknown: Vec<AgentId>,
    /// Agents this batch found over their tier's disk limit and paused (a `pause` hold with
    /// the measured figures as its reason); an agent already held is left as it is. An older
    /// server leaves it out.
    #[serde(default)]
    pub paused: Vec<AgentId>,
}

/// The version of what the runtime should run (`GET /runtime/changes`): it differs from the
/// previous answer's whenever that may have changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RuntimeVersion {
    pub version: u64,
}

/// One batch of reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContainerReports {
    /// At most 50 per call.
    #[cfg_attr(feature = "openapi", schema(max_items = 50))]
    pub reports: Vec<ContainerReport>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_hold_and_a_revocation_map_to_one_container_state() {
        // Every hold with and without a revoked token: a revocation stops what would run or
        // pause, and never softens a kill or a quarantine into a graceful stop.
        use ContainerWant::*;
        let cases = [
            (None, Running, Stopped),
            (Some(Hold::Pause), Paused, Stopped),
            (Some(Hold::Stop), Stopped, Stopped),
            (Some(Hold::Kill), Killed, Killed),
            (Some(Hold::Quarantine), Killed, Killed),
        ];
        for (hold, live, revoked) in cases {
            assert_eq!(ContainerWant::of(hold, false), live, "{hold:?}");
            assert_eq!(ContainerWant::of(hold, true), revoked, "{hold:?} revoked");
        }
    }

    #[test]
    fn holds_read_back_and_set_the_world_status() {
        // Each hold's name parses back to it; only a quarantine shows as quarantined.
        for hold in [Hold::Pause, Hold::Stop, Hold::Kill, Hold::Quarantine] {
            assert_eq!(Hold::parse(hold.as_str()), Some(hold));
            let quarantined = hold == Hold::Quarantine;
            assert_eq!(hold.status() == AgentStatus::Quarantined, quarantined);
            assert!(!hold.status().may_act());
        }
        assert_eq!(Hold::parse("Pause"), None);
    }
}
