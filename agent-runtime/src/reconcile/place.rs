//! Placing agents: creating, starting and checking a container (`launch_container`, which
//! changes nothing in the reconciler, so several run at once), then remembering it
//! (`record_placement`). A container that does not come up hardened is removed again.

use std::collections::HashMap;
use std::time::Instant;

use futures_util::StreamExt;
use shared::AgentId;

use super::{AGENT_TOKEN_PATH, PassReport, Reconciler, TokenSource};
use crate::backend::{BackendError, ContainerBackend};
use crate::hardening::deviations;
use crate::plan::{Action, DesiredAgent, Want};
use crate::spec::{ContainerSpec, Network};

/// Containers placed at the same time in one pass: each mostly waits on its engine.
pub const PLACEMENTS_AT_ONCE: usize = 8;

impl<B: ContainerBackend, T: TokenSource> Reconciler<B, T> {
    /// Applies the pass's placements, [`PLACEMENTS_AT_ONCE`] at a time, into `report`.
    pub(super) async fn place_all(
        &mut self,
        places: Vec<Action>,
        wanted: &HashMap<AgentId, &DesiredAgent>,
        report: &mut PassReport,
    ) {
        let this = &*self;
        let launched: Vec<(Action, std::time::Duration, Result<String, BackendError>)> =
            futures_util::stream::iter(places)
                .map(|action| async move {
                    let began = Instant::now();
                    let result = match &action {
                        // The plan places only agents it was given.
                        Action::Place { agent, node } => {
                            this.launch_container(wanted[agent], node).await
                        }
                        other => Err(BackendError::Refused {
                            node: String::new(),
                            operation: "place",
                            message: format!("not a placement: {other:?}"),
                        }),
                    };
                    (action, began.elapsed(), result)
                })
                .buffer_unordered(PLACEMENTS_AT_ONCE)
                .collect()
                .await;
        for (action, took, result) in launched {
            match (result, &action) {
                (Ok(id), Action::Place { agent, node }) => {
                    self.record_placement(wanted[agent], node, id);
                    report.start_durations.push(took);
                    report.done.push(action);
                }
                (Err(error), _) => {
                    tracing::warn!(?action, %error, "a placement failed");
                    report.failed.push((action, error.to_string()));
                }
                (Ok(_), _) => {}
            }
        }
    }

    /// Remembers a container this launcher placed: its order, its node, its limits.
    pub(super) fn record_placement(&mut self, desired: &DesiredAgent, node: &str, id: String) {
        self.placements += 1;
        self.placed.insert(id.clone(), self.placements);
        self.last_node.insert(desired.agent, node.to_string());
        self.applied.insert(id, desired.limits);
    }

    /// Creates, starts and checks an agent's container; returns its id. Anything short of a
    /// hardened running container is removed again, so no half-made container is left.
    pub(super) async fn launch_container(
        &self,
        desired: &DesiredAgent,
        node: &str,
    ) -> Result<String, BackendError> {
        let mut env = self.launch.env.clone();
        env.insert("VILLAGE_AGENT_ID".into(), desired.agent.0.to_string());
        env.insert("VILLAGE_AGENT_TOKEN_FILE".into(), AGENT_TOKEN_PATH.into());
        env.insert("VILLAGE_BRAIN".into(), desired.brain.as_str().into());
        let (network, egress) = match (&self.launch.egress, desired.egress) {
            (Some(route), true) => {
                let proxy = route.environment(desired.agent, node).ok_or_else(|| {
                    BackendError::Refused {
                        node: node.to_string(),
                        operation: "route an agent's egress",
                        message: "the node has no egress proxy".into(),
                    }
                })?;
                env.extend(proxy);
                (Network::Named(route.network.clone()), true)
            }
            _ => (self.launch.network.clone(), false),
        };
        let spec = ContainerSpec {
            agent: desired.agent,
            node: node.to_string(),
            tier: desired.tier.clone(),
            image: self.launch.image.clone(),
            command: self.launch.command.clone(),
            env,
            limits: desired.limits,
            network,
            egress,
            oci_runtime: desired.oci_runtime.clone(),
            brain: desired.brain,
            api_socket_dir: self.launch.api_socket_dir.clone(),
        };
        let backend = self.backend(node)?;
        let id = backend.create(&spec).await?;
        let started = async {
            self.install_token(backend, desired.agent).await?;
            backend.start(&spec.name()).await?;
            let details =
                backend
                    .inspect(&spec.name())
                    .await?
                    .ok_or_else(|| BackendError::NotFound {
                        node: node.to_string(),
                        name: spec.name(),
                    })?;
            let found = deviations(&details, &spec);
            if !found.is_empty() {
                return Err(BackendError::Refused {
                    node: node.to_string(),
                    operation: "start a hardened container",
                    message: format!("the started container deviates: {}", found.join("; ")),
                });
            }
            if desired.want == Want::Paused {
                backend.pause(&spec.name()).await?;
            }
            Ok(())
        };
        match started.await {
            Ok(()) => Ok(id),
            Err(error) => {
                if let Err(cleanup) = backend.remove(&spec.name()).await {
                    tracing::warn!(%cleanup, "removing a container that failed to start");
                }
                Err(error)
            }
        }
    }
}
