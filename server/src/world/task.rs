//! The one task that owns the [`World`]: it runs commands from a bounded channel between ticks,
//! ticks at a fixed rate, encodes each tick's delta once per format and broadcasts it, and hands
//! changed positions to the write-behind store.
//!
//! A slow subscriber never slows the tick: broadcast sends never wait.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use shared::{Delta, Tick};
use thiserror::Error;
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::agent_state::PositionUpdate;
use super::state::World;
use crate::clock::now_ms;
use crate::metrics::Metrics;
use crate::tick_frame::TickFrame;

type Job = Box<dyn FnOnce(&mut World, i64) + Send>;

/// A unit of work for the world task; built by [`WorldHandle::call`].
struct WorldCommand {
    job: Job,
}

/// The world could not answer in time, or has stopped.
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
pub enum WorldUnavailable {
    /// The command was not queued: the queue stayed full until the deadline.
    #[error("the world is busy; try again shortly")]
    Busy,
    /// The command was queued but not answered by the deadline; it will still run.
    #[error("the world did not answer in time; the request may still take effect")]
    Late,
    #[error("the world has stopped")]
    Stopped,
}

/// What health checks need to know about the ticking world.
#[derive(Debug, Default)]
pub struct TickHealth {
    last_tick: AtomicU64,
    last_tick_at_ms: AtomicI64,
}

impl TickHealth {
    pub fn last_tick(&self) -> Tick {
        Tick(self.last_tick.load(Ordering::Acquire))
    }

    /// Milliseconds since the Unix epoch at which the last tick ended (0 before the first).
    pub fn last_tick_at_ms(&self) -> i64 {
        self.last_tick_at_ms.load(Ordering::Acquire)
    }
}

/// A cheap, cloneable way to talk to the world task.
#[derive(Clone)]
pub struct WorldHandle {
    commands: mpsc::Sender<WorldCommand>,
    frames: broadcast::Sender<Arc<TickFrame>>,
    json_subscribers: Arc<AtomicUsize>,
    health: Arc<TickHealth>,
    call_timeout: Duration,
    /// Cancelled once the world has stopped ticking for good (its last frame is sent).
    frozen: CancellationToken,
}

impl WorldHandle {
    /// Completes when the world has stopped ticking at shutdown; every frame it will ever send
    /// has been sent by then.
    pub async fn frozen(&self) {
        self.frozen.cancelled().await;
    }

    /// Every agent as it is now, oldest first.
    pub async fn agent_views(&self) -> Result<Vec<shared::AgentView>, WorldUnavailable> {
        self.call(|world, _| world.agents().cloned().collect())
            .await
    }

    /// Runs `f` on the world between ticks and returns its result.
    pub async fn call<R, F>(&self, f: F) -> Result<R, WorldUnavailable>
    where
        R: Send + 'static,
        F: FnOnce(&mut World, i64) -> R + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |world, now_ms| {
            // The caller may have given up waiting; then nobody needs the answer.
            let _ = reply.send(f(world, now_ms));
        });
        let command = WorldCommand { job };
        // One deadline for queueing and answering together.
        let deadline = tokio::time::Instant::now() + self.call_timeout;
        match tokio::time::timeout_at(deadline, self.commands.send(command)).await {
            Err(_) => return Err(WorldUnavailable::Busy),
            Ok(Err(_)) => return Err(WorldUnavailable::Stopped),
            Ok(Ok(())) => {}
        }
        match tokio::time::timeout_at(deadline, answer).await {
            Err(_) => Err(WorldUnavailable::Late),
            Ok(Err(_)) => Err(WorldUnavailable::Stopped),
            Ok(Ok(value)) => Ok(value),
        }
    }

    /// Subscribes to the per-tick frames. Subscribe before asking for a snapshot, then skip
    /// frames whose tick is not after the snapshot's.
    pub fn subscribe(&self, json: bool) -> FrameSubscription {
        if json {
            self.json_subscribers.fetch_add(1, Ordering::SeqCst);
        }
        FrameSubscription {
            receiver: self.frames.subscribe(),
            json_subscribers: json.then(|| self.json_subscribers.clone()),
        }
    }

    pub fn health(&self) -> &TickHealth {
        &self.health
    }
}

/// A subscription to tick frames; it counts itself among JSON subscribers while it lives, so
/// the world encodes JSON only when someone wants it.
pub struct FrameSubscription {
    pub receiver: broadcast::Receiver<Arc<TickFrame>>,
    json_subscribers: Option<Arc<AtomicUsize>>,
}

impl Drop for FrameSubscription {
    fn drop(&mut self) {
        if let Some(count) = &self.json_subscribers {
            count.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// Settings of the world task.
#[derive(Debug, Clone)]
pub struct WorldTaskConfig {
    /// Time between ticks.
    pub tick_interval: Duration,
    pub command_queue_max: usize,
    pub frame_queue_max: usize,
    pub call_timeout: Duration,
    /// Changed positions go to the store at most this often.
    pub persist_interval: Duration,
}

/// The running world task.
pub struct WorldTask {
    pub handle: WorldHandle,
    pub join: JoinHandle<()>,
}

/// When the world task stops.
pub struct WorldStop {
    /// Stop ticking (time stands still) but keep answering commands: cancelled when shutdown
    /// begins, so every agent stays where the last frame showed it.
    pub freeze: CancellationToken,
    /// Stop for good: cancelled once the HTTP server has finished its requests. The task then
    /// sends every agent's position to the store one last time.
    pub stop: CancellationToken,
}

/// Starts the world task.
pub fn spawn_world(
    world: World,
    config: WorldTaskConfig,
    metrics: Arc<Metrics>,
    persist: mpsc::Sender<Vec<PositionUpdate>>,
    stopping: WorldStop,
) -> WorldTask {
    let (commands, inbox) = mpsc::channel(config.command_queue_max.max(1));
    let (frames, _) = broadcast::channel(config.frame_queue_max.max(1));
    let handle = WorldHandle {
        commands,
        frames: frames.clone(),
        json_subscribers: Arc::new(AtomicUsize::new(0)),
        health: Arc::new(TickHealth::default()),
        call_timeout: config.call_timeout,
        frozen: CancellationToken::new(),
    };
    let runner = Runner {
        world,
        inbox,
        frames,
        json_subscribers: handle.json_subscribers.clone(),
        health: handle.health.clone(),
        metrics,
        persist,
        config,
        frozen: handle.frozen.clone(),
    };
    let join = tokio::spawn(runner.run(stopping));
    WorldTask { handle, join }
}

struct Runner {
    world: World,
    inbox: mpsc::Receiver<WorldCommand>,
    frames: broadcast::Sender<Arc<TickFrame>>,
    json_subscribers: Arc<AtomicUsize>,
    health: Arc<TickHealth>,
    metrics: Arc<Metrics>,
    persist: mpsc::Sender<Vec<PositionUpdate>>,
    config: WorldTaskConfig,
    frozen: CancellationToken,
}

impl Runner {
    async fn run(mut self, stopping: WorldStop) {
        let mut ticker = tokio::time::interval(self.config.tick_interval);
        // Keep the cadence: a tick that runs late does not push the next one back (`Delay` would
        // lose a tick every time the task is scheduled late under load); a tick missed entirely
        // is skipped rather than burst.
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut last_persist = Instant::now();
        let mut ticking = true;
        loop {
            tokio::select! {
                biased;
                () = stopping.stop.cancelled() => break,
                () = stopping.freeze.cancelled(), if ticking => {
                    ticking = false;
                    self.frozen.cancel();
                }
                _ = ticker.tick(), if ticking => {
                    self.tick();
                    if last_persist.elapsed() >= self.config.persist_interval {
                        self.persist_changes();
                        last_persist = Instant::now();
                    }
                }
                Some(command) = self.inbox.recv() => (command.job)(&mut self.world, now_ms()),
            }
        }
        self.frozen.cancel();
        // Final save: every agent exactly where it stands. The persister finishes when this
        // sender is dropped.
        let all = self.world.all_positions();
        if self.persist.send(all).await.is_err() {
            tracing::error!("the store stopped before the final save of positions");
        }
    }

    fn tick(&mut self) {
        let started = Instant::now();
        let delta: Delta = self.world.advance(now_ms());
        let want_json = self.json_subscribers.load(Ordering::SeqCst) > 0;
        let frame = TickFrame::encode(delta, want_json);
        self.health.last_tick.store(frame.tick.0, Ordering::Release);
        self.health
            .last_tick_at_ms
            .store(now_ms(), Ordering::Release);
        // No receivers is fine: nobody is watching.
        let _ = self.frames.send(Arc::new(frame));
        self.metrics
            .world_agents
            .set(self.world.agent_count() as i64);
        self.metrics
            .world_tick_duration
            .observe(started.elapsed().as_secs_f64());
    }

    /// Hands changed positions to the store unless it is still busy with the last batch (then
    /// they stay marked and go with the next one).
    fn persist_changes(&mut self) {
        if let Ok(permit) = self.persist.try_reserve() {
            let changes = self.world.take_dirty();
            if !changes.is_empty() {
                permit.send(changes);
            }
        }
    }
}
