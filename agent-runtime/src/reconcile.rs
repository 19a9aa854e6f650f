//! One reconcile pass over every node: list what each holds, plan ([`crate::plan`]), apply the
//! actions through the backends and report what happened.
//!
//! State-based: a pass reads the nodes afresh, so a restarted launcher adopts the containers
//! it finds instead of starting duplicates, and engine events are only a hint to run a pass
//! sooner. One failure is reported and never stops the actions for other agents.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use shared::AgentId;

use crate::backend::{BackendError, ContainerBackend};
use crate::crash_loop::{CrashLoops, Verdict};
use crate::egress::EgressRoute;
use crate::placement::{Capacity, PlacementError};
use crate::plan::{Action, DesiredAgent, NodeState, Seen, plan};
use crate::spec::{Network, container_name};
pub use crate::tokens::{AGENT_TOKEN_PATH, NoTokens, TokenSource};

mod place;

/// A node is down after this many failed listings in a row; its agents are then placed on
/// the other nodes.
pub const DOWN_AFTER_FAILED_CALLS: u32 = 3;
/// How long a stop waits for the agent to exit before the engine kills it.
pub const STOP_GRACE: Duration = Duration::from_secs(10);

/// How every agent container is launched: the image and what goes into each spec besides the
/// agent's own limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    /// Image tag (from [`crate::image::ImageRecipe::tag`]).
    pub image: String,
    pub command: Vec<String>,
    /// Environment for every agent; `VILLAGE_AGENT_ID`, `VILLAGE_AGENT_TOKEN_FILE` and
    /// `VILLAGE_BRAIN` are added per agent.
    pub env: BTreeMap<String, String>,
    pub network: Network,
    /// The OCI runtime for tiers not in `tier_runtimes`; `None`: the engine's default.
    pub oci_runtime: Option<String>,
    /// The OCI runtime by tier name (`runsc` for gVisor), over `oci_runtime`.
    pub tier_runtimes: BTreeMap<String, String>,
    /// The host folder of the server's API socket, mounted read-only into every container.
    pub api_socket_dir: Option<String>,
    /// Where agents of tiers with egress go out; `None`: nowhere, every container gets
    /// `network`.
    pub egress: Option<EgressRoute>,
}

impl Launch {
    /// The OCI runtime for agents of `tier`.
    pub fn runtime_for(&self, tier: &str) -> Option<String> {
        self.tier_runtimes
            .get(tier)
            .or(self.oci_runtime.as_ref())
            .filter(|runtime| !runtime.is_empty())
            .cloned()
    }
}

/// One node the reconciler manages.
struct Node<B> {
    backend: B,
    capacity: Capacity,
    failed_calls: u32,
}

/// What one pass did.
#[derive(Debug, Default)]
pub struct PassReport {
    /// Actions that succeeded.
    pub done: Vec<Action>,
    /// Actions that failed, with the reason.
    pub failed: Vec<(Action, String)>,
    /// Agents no node could take.
    pub unplaced: Vec<(AgentId, PlacementError)>,
    /// Nodes that did not answer this pass, with the reason.
    pub unreachable: Vec<(String, String)>,
    /// Nodes counted as down (their agents are placed elsewhere).
    pub down: Vec<String>,
    /// Agents held back from a restart by the crash-loop delay.
    pub backing_off: Vec<AgentId>,
    /// Agents whose container keeps exiting.
    pub failing: Vec<AgentId>,
    /// Every container listed this pass (before this pass's actions).
    pub containers: Vec<Listed>,
    /// Every node and whether it answered this pass.
    pub nodes: Vec<(String, bool)>,
    /// How long each placement took, create to a started and checked container.
    pub start_durations: Vec<Duration>,
}

/// A container as a pass listed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub node: String,
    pub name: String,
    /// Its agent, from its label.
    pub agent: Option<AgentId>,
    pub state: crate::backend::RunState,
}

/// The reconcile loop's state across passes.
pub struct Reconciler<B, T = NoTokens> {
    tokens: T,
    nodes: Vec<Node<B>>,
    launch: Launch,
    /// Limits known to be applied, by container id; a container not here (adopted after a
    /// restart) gets its limits applied again.
    applied: HashMap<String, crate::spec::Limits>,
    /// Where each agent's container was last seen, to hold its placement while its node is
    /// unreachable but not yet down.
    last_node: HashMap<AgentId, String>,
    crash_loops: CrashLoops,
    /// The order of each container this launcher placed, by container id.
    placed: HashMap<String, u64>,
    placements: u64,
    /// Restarts of each agent's container by this launcher (placements not counted).
    restarts: HashMap<AgentId, u32>,
}

impl<B: ContainerBackend> Reconciler<B> {
    /// A reconciler whose containers start without a token (see [`Reconciler::with_tokens`]).
    pub fn new(nodes: Vec<(B, Capacity)>, launch: Launch) -> Reconciler<B> {
        Reconciler {
            tokens: NoTokens,
            nodes: nodes
                .into_iter()
                .map(|(backend, capacity)| Node {
                    backend,
                    capacity,
                    failed_calls: 0,
                })
                .collect(),
            launch,
            applied: HashMap::new(),
            last_node: HashMap::new(),
            crash_loops: CrashLoops::default(),
            placed: HashMap::new(),
            placements: 0,
            restarts: HashMap::new(),
        }
    }

    /// The same reconciler, writing a fresh token from `tokens` into each container before
    /// it starts.
    pub fn with_tokens<U: TokenSource>(self, tokens: U) -> Reconciler<B, U> {
        Reconciler {
            tokens,
            nodes: self.nodes,
            launch: self.launch,
            applied: self.applied,
            last_node: self.last_node,
            crash_loops: self.crash_loops,
            placed: self.placed,
            placements: self.placements,
            restarts: self.restarts,
        }
    }
}

impl<B: ContainerBackend, T: TokenSource> Reconciler<B, T> {
    /// Brings every node toward `desired`, once.
    pub async fn pass(&mut self, desired: &[DesiredAgent], now: Instant) -> PassReport {
        let mut report = PassReport::default();
        let (seen, states) = self.list_nodes(&mut report).await;
        report.containers = seen
            .iter()
            .map(|container| Listed {
                node: container.node.clone(),
                name: container.info.name.clone(),
                agent: container.info.agent(),
                state: container.info.state,
            })
            .collect();
        for container in &seen {
            if let Some(agent) = container.info.agent() {
                self.last_node.insert(agent, container.node.clone());
            }
        }
        // An agent last seen on a node that did not answer but is not yet down waits: placing
        // it elsewhere now could run it twice.
        let waiting = |agent: &DesiredAgent| {
            self.last_node.get(&agent.agent).is_some_and(|node| {
                report.unreachable.iter().any(|(name, _)| name == node)
                    && !report.down.contains(node)
            })
        };
        let everyone: HashSet<AgentId> = desired.iter().map(|agent| agent.agent).collect();
        // Egress only where the runtime has a route out; without one every container has none.
        let routed = self.launch.egress.is_some();
        let desired: Vec<DesiredAgent> = desired
            .iter()
            .filter(|agent| !waiting(agent))
            .map(|agent| DesiredAgent {
                egress: agent.egress && routed,
                oci_runtime: self.launch.runtime_for(&agent.tier),
                ..agent.clone()
            })
            .collect();
        let planned = plan(&desired, &seen, &states);
        report.unplaced = planned.unplaced;
        let wanted: HashMap<AgentId, &DesiredAgent> =
            desired.iter().map(|agent| (agent.agent, agent)).collect();
        // Before applying: what this pass creates is not in `seen` and must be remembered.
        self.forget_gone(&seen, &everyone, now);
        // Placements go last and several at a time (each waits on its engine); the other
        // actions first, in the plan's order (removals free capacity before placements).
        let (places, others): (Vec<Action>, Vec<Action>) = planned
            .actions
            .into_iter()
            .partition(|action| matches!(action, Action::Place { .. }));
        for action in others {
            if let Action::Start { agent, .. } = &action
                && self.held_back(*agent, now, &mut report)
            {
                continue;
            }
            match self.apply(&action, &wanted).await {
                Ok(()) => {
                    if let Action::Start { agent, .. } = &action {
                        *self.restarts.entry(*agent).or_default() += 1;
                    }
                    report.done.push(action);
                }
                Err(error) => {
                    tracing::warn!(?action, %error, "a reconcile action failed");
                    report.failed.push((action, error.to_string()));
                }
            }
        }
        self.place_all(places, &wanted, &mut report).await;
        report
    }

    /// Lists every node: the containers seen on those that answered, each node's state, and
    /// in `report` the nodes that did not answer and those now counted as down.
    async fn list_nodes(&mut self, report: &mut PassReport) -> (Vec<Seen>, Vec<NodeState>) {
        let mut seen = Vec::new();
        let mut states = Vec::new();
        for node in &mut self.nodes {
            let name = node.backend.node().to_string();
            let answered = match node.backend.list().await {
                Ok(listed) => {
                    node.failed_calls = 0;
                    let image = &self.launch.image;
                    seen.extend(listed.into_iter().map(|info| Seen {
                        node: name.clone(),
                        limits: self.applied.get(&info.id).copied(),
                        placed: self.placed.get(&info.id).copied(),
                        stale_image: !info.image.is_empty() && info.image != *image,
                        info,
                    }));
                    true
                }
                Err(error) => {
                    node.failed_calls += 1;
                    report.unreachable.push((name.clone(), error.to_string()));
                    false
                }
            };
            report.nodes.push((name.clone(), answered));
            if node.failed_calls >= DOWN_AFTER_FAILED_CALLS {
                report.down.push(name.clone());
            }
            states.push(NodeState {
                name,
                up: answered,
                capacity: node.capacity,
            });
        }
        (seen, states)
    }

    /// Whether a restart of `agent` must wait (crash-loop backoff); counts the restart when it
    /// may go ahead.
    fn held_back(&mut self, agent: AgentId, now: Instant, report: &mut PassReport) -> bool {
        match self.crash_loops.start(agent, now) {
            Verdict::Wait => {
                report.backing_off.push(agent);
                return true;
            }
            Verdict::GoFailing => report.failing.push(agent),
            Verdict::Go => {}
        }
        false
    }

    /// Forgets limits and crash counts of containers and agents that are gone, and the crash
    /// count of an agent running steadily (the longest restart delay past its last restart).
    fn forget_gone(&mut self, seen: &[Seen], wanted: &HashSet<AgentId>, now: Instant) {
        let listed = |id: &String| seen.iter().any(|container| &container.info.id == id);
        self.applied.retain(|id, _| listed(id));
        self.placed.retain(|id, _| listed(id));
        let running: HashSet<AgentId> = seen
            .iter()
            .filter(|container| container.info.state == crate::backend::RunState::Running)
            .filter_map(|container| container.info.agent())
            .collect();
        self.crash_loops.forget(wanted, &running, now);
        self.last_node.retain(|agent, _| wanted.contains(agent));
        self.restarts.retain(|agent, _| wanted.contains(agent));
    }

    /// How often this launcher restarted the agent's container.
    pub fn restarts(&self, agent: AgentId) -> u32 {
        self.restarts.get(&agent).copied().unwrap_or(0)
    }

    /// Where egress-tier agents go out, when egress is on.
    pub fn egress_route(&self) -> Option<&EgressRoute> {
        self.launch.egress.as_ref()
    }

    /// The route with more nodes' proxies (a node that was away at start gets its own).
    pub fn set_egress_route(&mut self, route: EgressRoute) {
        self.launch.egress = Some(route);
    }

    /// The backend of a configured node.
    pub fn node_backend(&self, node: &str) -> Option<&B> {
        self.backend(node).ok()
    }

    fn backend(&self, node: &str) -> Result<&B, BackendError> {
        self.nodes
            .iter()
            .map(|n| &n.backend)
            .find(|backend| backend.node() == node)
            .ok_or_else(|| BackendError::Unreachable {
                node: node.to_string(),
                reason: "not a configured node".into(),
            })
    }

    async fn apply(
        &mut self,
        action: &Action,
        wanted: &HashMap<AgentId, &DesiredAgent>,
    ) -> Result<(), BackendError> {
        match action {
            Action::Place { agent, node } => {
                // The plan places only agents it was given.
                let id = self.launch_container(wanted[agent], node).await?;
                self.record_placement(wanted[agent], node, id);
                Ok(())
            }
            Action::Start { agent, node } => {
                let backend = self.backend(node)?;
                self.install_token(backend, *agent).await?;
                backend.start(&container_name(*agent)).await
            }
            Action::Pause { agent, node } => {
                self.backend(node)?.pause(&container_name(*agent)).await
            }
            Action::Resume { agent, node } => {
                self.backend(node)?.resume(&container_name(*agent)).await
            }
            Action::Stop { agent, node } => {
                let backend = self.backend(node)?;
                backend.stop(&container_name(*agent), STOP_GRACE).await
            }
            Action::Kill { agent, node } => self.backend(node)?.kill(&container_name(*agent)).await,
            Action::UpdateLimits {
                agent,
                node,
                limits,
            } => {
                let backend = self.backend(node)?;
                let name = container_name(*agent);
                backend.update_limits(&name, limits).await?;
                if let Some(details) = backend.inspect(&name).await? {
                    self.applied.insert(details.info.id, *limits);
                }
                Ok(())
            }
            Action::Remove { node, name, .. } => self.backend(node)?.remove(name).await,
        }
    }

    /// Writes a fresh token into the agent's container, if the token source gives one.
    async fn install_token(&self, backend: &B, agent: AgentId) -> Result<(), BackendError> {
        let token = self
            .tokens
            .fresh_token(agent)
            .await
            .map_err(|reason| BackendError::Token { agent, reason })?;
        match token {
            Some(token) => {
                let name = container_name(agent);
                backend
                    .put_file(&name, AGENT_TOKEN_PATH, token.as_bytes(), 0o400)
                    .await
            }
            None => Ok(()),
        }
    }
}
