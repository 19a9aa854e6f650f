//! The launcher's loop: every interval, at once after the server's wanted state changed (see
//! `server_watch.rs`), and soon after an engine event (a hint, see `hints.rs`), read what the
//! server wants, make sure each node has the agent image, run one
//! reconcile pass (after giving the egress route the proxy of any node that was away), and
//! publish the outcome as metrics, logs and reports to the server.
//!
//! When the server cannot be read the pass is skipped and containers stay as they are: acting
//! on a stale or empty list could stop every agent.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use tokio::sync::Notify;

use super::egress_setup::{EgressSection, add_missing_proxies};
use super::hints::follow_changes;
use super::metrics::RuntimeMetrics;
use super::reports::Reporter;
use super::server_link::ServerLink;
use super::server_watch::follow_server;
use crate::backend::ContainerBackend;
use crate::desired::desired_agents;
use crate::image::ImageRecipe;
use crate::reconcile::{PassReport, Reconciler};

/// How long a burst of engine events may take before the pass it asked for.
const HINT_SETTLE: Duration = Duration::from_millis(200);

/// A running launcher's parts.
pub struct Daemon<B> {
    pub reconciler: Reconciler<B, Arc<ServerLink>>,
    pub link: Arc<ServerLink>,
    pub metrics: Arc<RuntimeMetrics>,
    /// Each node's backend, for image builds (the reconciler holds its own).
    pub image_nodes: Vec<B>,
    pub recipe: ImageRecipe,
    pub interval: Duration,
    /// Container reports go to the server after every this many passes.
    pub report_every: u32,
    pub reporter: Reporter,
    /// How long each long poll of the server's changes waits (under the link's time limit);
    /// `None`: the loop does not follow the server's changes and learns them at its interval
    /// (the baseline of benchmark P9).
    pub server_wait: Option<Duration>,
    /// The `[egress]` settings when egress is on: nodes missing from the route (away at
    /// start) get their proxy once they answer.
    pub egress: Option<EgressSection>,
}

impl<B: ContainerBackend> Daemon<B> {
    /// Runs passes until `shutdown`: one per interval, and one soon after any engine event
    /// (a hint); containers keep running after it (a restarted launcher adopts them).
    pub async fn run(mut self, shutdown: CancellationToken)
    where
        B: Clone + 'static,
    {
        let wake = Arc::new(Notify::new());
        let mut followers: Vec<_> = self
            .image_nodes
            .iter()
            .map(|backend| follow_changes(backend.clone(), wake.clone(), shutdown.clone()))
            .collect();
        let server_wake = Arc::new(Notify::new());
        if let Some(wait) = self.server_wait {
            followers.push(follow_server(
                self.link.clone(),
                server_wake.clone(),
                wait,
                shutdown.clone(),
            ));
        }
        let mut ticker = tokio::time::interval(self.interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut imaged: HashSet<String> = HashSet::new();
        let mut passes: u32 = 0;
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                () = wake.notified() => {
                    // Events come in bursts (die, then stop; our own start, then its events):
                    // let a burst settle, unless the server changed meanwhile (the pass reads
                    // both), and count this pass as the interval's.
                    tokio::select! {
                        () = tokio::time::sleep(HINT_SETTLE) => {}
                        () = server_wake.notified() => {}
                    }
                    ticker.reset();
                }
                // The server's changes come one at a time: no settling, so a tier change
                // reaches the container's limits within a pass.
                () = server_wake.notified() => ticker.reset(),
                () = shutdown.cancelled() => break,
            }
            self.ensure_images(&mut imaged).await;
            self.complete_egress_route(&shutdown).await;
            let Some(report) = self.once().await else {
                continue;
            };
            passes = passes.wrapping_add(1);
            if passes.is_multiple_of(self.report_every.max(1)) {
                self.report(&report).await;
            }
        }
        for follower in followers {
            let _ = follower.await;
        }
        tracing::info!("launcher stopped; agent containers keep running");
    }

    /// Builds the agent image on each node that does not have it yet (once per node that
    /// answers; a node that was down is tried again next pass).
    async fn ensure_images(&self, imaged: &mut HashSet<String>) {
        for backend in &self.image_nodes {
            let node = backend.node().to_string();
            if imaged.contains(&node) {
                continue;
            }
            match backend.ensure_image(&self.recipe).await {
                Ok(tag) => {
                    tracing::info!(%node, %tag, "agent image ready");
                    imaged.insert(node);
                }
                Err(error) => tracing::warn!(%node, %error, "agent image not ready"),
            }
        }
    }

    /// Adds the proxy of each node the egress route still lacks (its engine was away).
    async fn complete_egress_route(&mut self, stop: &CancellationToken) {
        let (Some(section), Some(route)) = (&self.egress, self.reconciler.egress_route()) else {
            return;
        };
        if route.proxies.len() == self.image_nodes.len() {
            return;
        }
        let mut route = route.clone();
        let added = add_missing_proxies(
            section,
            &self.image_nodes,
            &mut route,
            &self.metrics.egress,
            stop,
        )
        .await;
        if let Err(error) = added {
            tracing::warn!(error = %format!("{error:#}"), "egress route not completed");
        }
        self.reconciler.set_egress_route(route);
    }

    /// One pass, or none when the server's wanted state cannot be read.
    pub async fn once(&mut self) -> Option<PassReport> {
        let began = Instant::now();
        let answer = match self.link.desired().await {
            Ok(answer) => answer,
            Err(error) => {
                self.metrics.desired_failures.inc();
                tracing::warn!(%error, "the server's desired state is unreadable; containers left as they are");
                return None;
            }
        };
        let desired = desired_agents(&answer.agents);
        let report = self.reconciler.pass(&desired, Instant::now()).await;
        self.metrics.observe(&report, began.elapsed());
        log_report(&report, began.elapsed());
        Some(report)
    }
}

impl<B: ContainerBackend> Daemon<B> {
    /// Tells the server what each container is; a failure is logged and the loop goes on.
    async fn report(&mut self, pass: &PassReport) {
        let reports = self.reporter.collect(pass, &self.reconciler).await;
        if let Err(error) = self.link.send_reports(&reports).await {
            tracing::warn!(%error, "container reports not delivered");
        }
    }
}

fn log_report(report: &PassReport, took: Duration) {
    for (action, reason) in &report.failed {
        tracing::warn!(action = action.kind(), ?action, %reason, "action failed");
    }
    for (agent, why) in &report.unplaced {
        tracing::warn!(%agent, %why, "agent not placed");
    }
    for (node, reason) in &report.unreachable {
        tracing::warn!(%node, %reason, down = report.down.contains(node), "node unreachable");
    }
    for agent in &report.failing {
        tracing::warn!(%agent, "agent container keeps exiting");
    }
    if !report.done.is_empty() {
        tracing::info!(
            actions = report.done.len(),
            took_ms = took.as_millis() as u64,
            "reconciled"
        );
    }
}
