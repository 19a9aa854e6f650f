//! The reconcile decision, state-based: from what the server wants for each agent and what the
//! nodes hold, the actions that bring the second to the first.
//!
//! Pure and total: no engine calls, no clock. Every container that is not the one an agent
//! should have is removed (orphans, duplicates after a node came back, containers of deleted
//! agents), so a pass over the same state twice plans nothing the second time once the first
//! pass's actions succeeded.

use std::collections::BTreeMap;

use shared::AgentId;

use crate::backend::{ContainerInfo, RunState};
use crate::placement::{Capacity, NodeLoad, PlacementError, choose_node};
use crate::spec::{LABEL_BRAIN, LABEL_EGRESS, LABEL_RUNTIME, LABEL_TIER, Limits};

/// What the server wants of an agent's container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// Online or idle: its container runs.
    Running,
    /// Paused by a moderator: its container exists, frozen.
    Paused,
    /// Stopped by an admin or its token revoked: no process of it runs; a live container
    /// gets the grace period.
    Stopped,
    /// Killed or quarantined: no process of it runs; a live container is killed at once.
    Killed,
}

impl Want {
    /// Whether the agent should have a live (running or paused) container.
    pub fn is_live(self) -> bool {
        matches!(self, Want::Running | Want::Paused)
    }
}

/// One agent as the server wants it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredAgent {
    pub agent: AgentId,
    pub want: Want,
    /// The tier in force.
    pub tier: String,
    pub limits: Limits,
    /// What decides its actions (`VILLAGE_BRAIN` in a container it gets); a container made
    /// for another brain is replaced, its workspace volume (its memory) kept.
    pub brain: shared::runtime::AgentBrain,
    /// Whether its container gets the route out (its tier allows egress and the runtime has
    /// an egress route); a container made the other way is replaced.
    pub egress: bool,
    /// The OCI runtime for its tier (gVisor's `runsc`, ...); `None`: the engine's default. A
    /// container made with another is replaced, and so is a sandboxed one whose tier changed
    /// (gVisor cannot update a live sandbox's limits).
    pub oci_runtime: Option<String>,
}

/// One container found on a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub node: String,
    pub info: ContainerInfo,
    /// The limits last applied to it, when known (a restarted launcher learns them by
    /// inspecting); unknown limits are applied again.
    pub limits: Option<Limits>,
    /// The order in which this launcher placed it (higher is later), when it did: of two
    /// containers created in the same second, the later placement is kept.
    pub placed: Option<u64>,
    /// It was made from another image than the one agents are placed with now (a new agent
    /// binary or base): it is replaced, a few a pass.
    pub stale_image: bool,
}

/// A node as the plan sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeState {
    pub name: String,
    pub up: bool,
    pub capacity: Capacity,
}

/// Why a container is removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    /// It carries no agent label the runtime can read.
    NoAgentLabel,
    /// Its agent is not in the server's list (deleted, or never the village's).
    UnknownAgent,
    /// Another container of the same agent is kept (a node came back after its agents were
    /// placed elsewhere).
    Duplicate,
    /// Its GPU share changed, which no engine applies to a live container: a new one follows.
    GpuChanged,
    /// Its tier's egress changed: a container's network cannot change while it exists, so a
    /// new one follows (on the egress network, or with none).
    EgressChanged,
    /// Its tier's OCI runtime changed (gVisor or not): a new container follows.
    RuntimeChanged,
    /// An admin switched its brain (scripted or LLM), which a container reads once, from its
    /// environment: a new container with the new brain follows (the workspace volume stays).
    BrainChanged,
    /// Its tier or its tier's limits changed while it runs in a sandbox that cannot change a
    /// live container's limits (gVisor): a new one with the new limits follows.
    SandboxTierChanged,
    /// It runs an older agent image: a new container on the current one follows (the
    /// workspace volume stays), at most [`IMAGE_ROLLOUT_PER_PASS`] a pass, and none while an
    /// agent that should run does not.
    ImageChanged,
}

/// Containers replaced for a new agent image in one pass: the village changes its agents
/// over a few passes rather than stopping them all at once.
pub const IMAGE_ROLLOUT_PER_PASS: usize = 2;

/// One step of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Create the agent's container on `node` and start it (and pause it if so wanted).
    Place {
        agent: AgentId,
        node: String,
    },
    Start {
        agent: AgentId,
        node: String,
    },
    Pause {
        agent: AgentId,
        node: String,
    },
    Resume {
        agent: AgentId,
        node: String,
    },
    Stop {
        agent: AgentId,
        node: String,
    },
    /// SIGKILL now, no grace (a kill or a quarantine).
    Kill {
        agent: AgentId,
        node: String,
    },
    UpdateLimits {
        agent: AgentId,
        node: String,
        limits: Limits,
    },
    Remove {
        node: String,
        name: String,
        why: Removal,
    },
}

impl Action {
    /// The action's name in logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Action::Place { .. } => "place",
            Action::Start { .. } => "start",
            Action::Pause { .. } => "pause",
            Action::Resume { .. } => "resume",
            Action::Stop { .. } => "stop",
            Action::Kill { .. } => "kill",
            Action::UpdateLimits { .. } => "update_limits",
            Action::Remove { .. } => "remove",
        }
    }
}

/// What a pass decided: the actions, and the agents no node could take.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub actions: Vec<Action>,
    pub unplaced: Vec<(AgentId, PlacementError)>,
}

/// Plans one reconcile pass. Containers on nodes that are down cannot be reached: they are
/// neither kept nor removed, and their agents are placed on nodes that are up. An agent whose
/// container is replaced goes back to the same node when it fits there: its workspace volume
/// (its memory) is on that node.
pub fn plan(desired: &[DesiredAgent], seen: &[Seen], nodes: &[NodeState]) -> Plan {
    let up = |node: &str| nodes.iter().any(|n| n.name == node && n.up);
    let wanted: BTreeMap<AgentId, &DesiredAgent> =
        desired.iter().map(|agent| (agent.agent, agent)).collect();
    let mut out = Plan::default();
    let mut by_agent: BTreeMap<AgentId, Vec<&Seen>> = BTreeMap::new();
    for container in seen.iter().filter(|c| up(&c.node)) {
        let why = match container.info.agent() {
            None => Some(Removal::NoAgentLabel),
            Some(agent) if !wanted.contains_key(&agent) => Some(Removal::UnknownAgent),
            Some(agent) => {
                by_agent.entry(agent).or_default().push(container);
                None
            }
        };
        if let Some(why) = why {
            out.actions.push(remove(container, why));
        }
    }

    let mut loads: Vec<NodeLoad> = nodes
        .iter()
        .map(|node| NodeLoad {
            name: node.name.clone(),
            up: node.up,
            capacity: node.capacity,
            used_cpu_millicores: 0,
            used_memory_mib: 0,
        })
        .collect();
    // Agents to place, with the node of the container they lost: the new one goes back there
    // when it fits, for the agent's workspace volume is on that node.
    let mut homeless: Vec<(&DesiredAgent, Option<String>)> = Vec::new();
    // A new image rolls out only while every agent that should run does: a broken image, or a
    // node that lacks it, halts the rollout instead of taking agent after agent down.
    let unsettled = desired
        .iter()
        .filter(|agent| agent.want == Want::Running)
        .filter(|agent| {
            !by_agent.get(&agent.agent).is_some_and(|containers| {
                containers.iter().any(|c| c.info.state == RunState::Running)
            })
        })
        .count();
    let mut rollout_budget = IMAGE_ROLLOUT_PER_PASS.saturating_sub(unsettled);
    for agent in desired {
        let Some(containers) = by_agent.get(&agent.agent) else {
            homeless.push((agent, None));
            continue;
        };
        let keeper = keeper(containers);
        for other in containers.iter().filter(|c| c.info.id != keeper.info.id) {
            out.actions.push(remove(other, Removal::Duplicate));
        }
        let replace = if keeper
            .limits
            .is_some_and(|limits| limits.gpu != agent.limits.gpu)
        {
            Some(Removal::GpuChanged)
        } else if has_egress(&keeper.info) != agent.egress {
            Some(Removal::EgressChanged)
        } else if runtime_of(&keeper.info).is_some_and(|made| made != agent.oci_runtime.as_deref())
        {
            Some(Removal::RuntimeChanged)
        } else if brain_of(&keeper.info).is_some_and(|made| made != agent.brain.as_str()) {
            Some(Removal::BrainChanged)
        } else if sandbox_outdated(agent, keeper) {
            Some(Removal::SandboxTierChanged)
        } else if keeper.stale_image && keeper.info.state == RunState::Running && rollout_budget > 0
        {
            rollout_budget -= 1;
            Some(Removal::ImageChanged)
        } else {
            None
        };
        if let Some(why) = replace {
            out.actions.push(remove(keeper, why));
            homeless.push((agent, Some(keeper.node.clone())));
            continue;
        }
        if let Some(load) = loads.iter_mut().find(|load| load.name == keeper.node) {
            load.take(&agent.limits);
        }
        converge(agent, keeper, &mut out.actions);
    }
    for (agent, home) in homeless {
        if !agent.want.is_live() {
            continue;
        }
        let at_home = home.and_then(|home| {
            loads
                .iter()
                .position(|load| load.name == home && load.fits(&agent.limits))
        });
        match at_home.map_or_else(|| choose_node(&loads, &agent.limits), Ok) {
            Ok(index) => {
                loads[index].take(&agent.limits);
                out.actions.push(Action::Place {
                    agent: agent.agent,
                    node: loads[index].name.clone(),
                });
            }
            Err(why) => out.unplaced.push((agent.agent, why)),
        }
    }
    out
}

/// Whether a sandboxed agent's container has limits its tier no longer grants: its tier
/// changed, or the limits this launcher gave it differ (gVisor cannot update them live).
fn sandbox_outdated(agent: &DesiredAgent, kept: &Seen) -> bool {
    let tier_changed = kept.info.labels.get(LABEL_TIER) != Some(&agent.tier);
    let limits_changed = kept.limits.is_some_and(|limits| limits != agent.limits);
    agent.oci_runtime.is_some() && agent.want.is_live() && (tier_changed || limits_changed)
}

/// Of an agent's containers, the one to keep: the most alive (running, then paused, then
/// anything else), and among equals the newest (the latest placement, by creation time and
/// then by this launcher's placing order).
fn keeper<'a>(containers: &[&'a Seen]) -> &'a Seen {
    let liveness = |state: RunState| match state {
        RunState::Running => 3,
        RunState::Paused => 2,
        RunState::Restarting => 1,
        _ => 0,
    };
    containers
        .iter()
        .copied()
        .max_by_key(|c| {
            (
                liveness(c.info.state),
                c.info.created_s,
                c.placed,
                c.info.id.clone(),
            )
        })
        // The caller only asks for agents with at least one container.
        .expect("an agent with containers")
}

/// The actions that take the kept container from its state to the wanted one.
fn converge(agent: &DesiredAgent, kept: &Seen, actions: &mut Vec<Action>) {
    let (id, node) = (agent.agent, kept.node.clone());
    let state = kept.info.state;
    let alive = matches!(state, RunState::Running | RunState::Paused);
    match (agent.want, state) {
        (Want::Running, RunState::Paused) => actions.push(Action::Resume { agent: id, node }),
        (Want::Running | Want::Paused, RunState::Created | RunState::Exited | RunState::Dead) => {
            actions.push(Action::Start { agent: id, node })
        }
        (Want::Paused, RunState::Running) => actions.push(Action::Pause { agent: id, node }),
        (Want::Stopped, RunState::Running | RunState::Paused | RunState::Restarting) => {
            actions.push(Action::Stop { agent: id, node });
            return;
        }
        (Want::Killed, RunState::Running | RunState::Paused | RunState::Restarting) => {
            actions.push(Action::Kill { agent: id, node });
            return;
        }
        _ => {}
    }
    // A sandbox's limits change with a new container (above), never live.
    let live_update = agent.oci_runtime.is_none();
    if alive && live_update && agent.want.is_live() && kept.limits != Some(agent.limits) {
        actions.push(Action::UpdateLimits {
            agent: id,
            node: kept.node.clone(),
            limits: agent.limits,
        });
    }
}

/// The OCI runtime a container was made with, from its label (`Some(None)`: the engine's
/// default); `None` for a container made before the label, which is not replaced for it.
fn runtime_of(info: &ContainerInfo) -> Option<Option<&str>> {
    let label = info.labels.get(LABEL_RUNTIME)?;
    Some(Some(label.as_str()).filter(|runtime| !runtime.is_empty()))
}

/// The brain a container was made to run, from its label; `None` for a container made before
/// the label, which is not replaced for it.
fn brain_of(info: &ContainerInfo) -> Option<&str> {
    info.labels.get(LABEL_BRAIN).map(String::as_str)
}

/// Whether a container was made with the route out (its label; none without one).
fn has_egress(info: &ContainerInfo) -> bool {
    info.labels.get(LABEL_EGRESS).is_some_and(|v| v == "true")
}

fn remove(container: &Seen, why: Removal) -> Action {
    Action::Remove {
        node: container.node.clone(),
        name: container.info.name.clone(),
        why,
    }
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
