//! Building and running the server: store, map, world task, persister, demo residents and
//! the HTTP listener, wired together; and an orderly shutdown that saves every position.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::auth::key_file::load_jwt_keys;
use crate::auth::{Credentials, JwtKeys, RateLimits};
use crate::clock::now_ms;
use crate::config::Settings;
use crate::demo::{DemoResident, spawn_demo};
use crate::economy::tier_watch::{TierWatch, spawn_tier_watch};
use crate::economy::{Ledger, TierBook, TierRequestLimits, WriterSettings};
use crate::metrics::Metrics;
use crate::population::{PopulationSpec, Resident};
use crate::state::{AppState, SharedState};
use crate::store::persister::spawn_persister;
use crate::store::{NewAgent, Store};
use crate::tier_announce::announce_tier_changes;
use crate::world::{TileMap, World, WorldStop, WorldTaskConfig, spawn_world};

/// A built server, listening but not yet serving.
pub struct Application {
    listener: TcpListener,
    api_socket: Option<crate::http::api_socket::ApiSocket>,
    /// The agent door on TCP (`server.agent_bind`), for other nodes' relays.
    agent_listener: Option<TcpListener>,
    state: AppState,
    world_join: JoinHandle<()>,
    persister_join: JoinHandle<()>,
    demo_join: Option<JoinHandle<()>>,
    /// Stops the world for good once the HTTP server has drained.
    world_stop: CancellationToken,
}

impl Application {
    /// Opens the store (migrating it), loads the map and the agents, starts the world and binds.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let settings = Arc::new(settings);
        crate::data_dir::make_private(&settings.server.data_dir, &settings.server.database_url())
            .with_context(|| {
            format!(
                "making the data folder {} private",
                settings.server.data_dir.display()
            )
        })?;
        let store = Store::open_and_migrate(&settings.server.database_url())
            .await
            .context("opening the database")?;
        let map = Arc::new(
            TileMap::load(&settings.server.assets_dir, &settings.world.map_file)
                .context("loading the map")?,
        );
        let jwt = load_jwt_keys(&settings.auth, &settings.server.data_dir);
        let jwt = Arc::new(jwt.context("preparing the JWT keys")?);
        let rate_limits = Arc::new(RateLimits::new(&settings.auth));
        let dummy_password_hash = crate::auth::password::dummy_hash()
            .await
            .context("preparing the password check")?;
        if settings.demo.agents > 0 && store.count_agents().await? == 0 {
            let spec = PopulationSpec::builtin();
            let residents = crate::population::generate(
                &spec,
                map.landmarks(),
                settings.demo.agents,
                settings.demo.seed,
            )?;
            insert_residents(&store, &residents).await?;
            tracing::info!(
                count = residents.len(),
                seed = settings.demo.seed,
                "created demo residents"
            );
        }
        // Before the credentials load: accounts made here are live at once.
        // They think with the gateway's model when it serves one (else by the rules).
        let brain = if settings.llm.models.is_empty() {
            shared::runtime::AgentBrain::Scripted
        } else {
            shared::runtime::AgentBrain::Llm
        };
        let contained =
            crate::demo::ensure_contained(&store, settings.demo.container_agents, brain)
                .await
                .context("giving demo residents to the agent runtime")?;
        let credentials = Arc::new(
            Credentials::load(&store, settings.auth.access_token_ttl_s, now_ms())
                .await
                .context("loading credentials")?,
        );
        let metrics = Arc::new(Metrics::new());
        let tiers = Arc::new(
            crate::economy::tiers::load_tiers(settings.economy.tiers_file.as_deref())
                .context("loading the compute tiers")?,
        );
        let tier_book = Arc::new(
            TierBook::load(&store, tiers.clone(), now_ms())
                .await
                .context("loading balances and boosts")?,
        );
        let mut world = World::new(map.clone(), settings.limits.clone());
        let mut demo = Vec::new();
        let placed_at_ms = now_ms();
        // The kill switch's holds decide held statuses, whatever the write-behind last saved.
        let holds: std::collections::HashMap<shared::AgentId, shared::runtime::Hold> = store
            .list_agent_controls()
            .await?
            .into_iter()
            .filter_map(|control| Some((control.agent, control.hold?)))
            .collect();
        for (mut record, profile) in store.list_agents().await? {
            let id = record.view.id;
            record.view.tier = tier_book.tier_name(id, placed_at_ms);
            record.view.status =
                crate::kill_switch::held_status(record.view.status, holds.get(&id).copied());
            world
                .spawn(record)
                .with_context(|| format!("placing agent {id}"))?;
            if let Ok(resident) = serde_json::from_value::<Resident>(profile)
                && demo.len() < settings.demo.agents
                && !contained.contains(&id)
            {
                demo.push(DemoResident { id, resident });
            }
        }
        tracing::info!(agents = world.agent_count(), map = %settings.world.map_file, "world loaded");
        let shutdown = CancellationToken::new();
        let (persist, persister_join) = spawn_persister(store.clone(), metrics.clone());
        let task_config = WorldTaskConfig {
            tick_interval: Duration::from_millis(settings.limits.tick_interval_ms),
            command_queue_max: settings.world.command_queue_max,
            frame_queue_max: settings.stream.client_queue_frames,
            call_timeout: Duration::from_millis(settings.world.call_timeout_ms),
            persist_interval: Duration::from_millis(settings.store.persist_interval_ms),
        };
        let world_stop = CancellationToken::new();
        let stopping = WorldStop {
            freeze: shutdown.clone(),
            stop: world_stop.clone(),
        };
        let world_task = spawn_world(world, task_config, metrics.clone(), persist, stopping);
        let demo_join = (!demo.is_empty()).then(|| {
            spawn_demo(
                world_task.handle.clone(),
                demo,
                PopulationSpec::builtin().talk,
                settings.demo.seed,
                settings.demo.village_minute_ms,
                shutdown.clone(),
            )
        });
        let listener = bind(
            settings.server.bind,
            settings.stream.socket_send_buffer_bytes,
        )
        .with_context(|| format!("binding {}", settings.server.bind))?;
        let api_socket = match &settings.server.api_socket {
            Some(path) => Some(
                crate::http::api_socket::ApiSocket::bind(path)
                    .with_context(|| format!("binding the API socket {}", path.display()))?,
            ),
            None => None,
        };
        let agent_listener = match settings.server.agent_bind {
            Some(addr) => Some(
                bind(addr, settings.stream.socket_send_buffer_bytes)
                    .with_context(|| format!("binding the agent door {addr}"))?,
            ),
            None => None,
        };
        let (board_events, _) = broadcast::channel(settings.board.stream_queue_events);
        let (chat_events, _) = broadcast::channel(settings.board.stream_queue_events);
        let tier_limits = Arc::new(TierRequestLimits::new(&tiers));
        let llm_client = reqwest::Client::builder()
            .timeout(Duration::from_millis(settings.llm.upstream_timeout_ms))
            .build()
            .context("preparing the LLM gateway's HTTP client")?;
        spawn_housekeeping(
            rate_limits.clone(),
            tier_limits.clone(),
            store.clone(),
            shutdown.clone(),
        );
        let (ledger, _ledger_join) = Ledger::spawn(
            store.clone(),
            metrics.clone(),
            WriterSettings {
                queue_max: settings.economy.ledger_queue_max,
                batch_window: Duration::from_millis(settings.economy.ledger_batch_window_ms),
                tier_book: Some(tier_book.clone()),
            },
        );
        let guard = Arc::new(crate::compliance::Guard::new(compliance_rules(&settings)?));
        let state = AppState::new(SharedState {
            guard,
            settings,
            map,
            world: world_task.handle,
            store,
            metrics,
            jwt,
            credentials,
            rate_limits,
            credential_changes: tokio::sync::Mutex::new(()),
            dummy_password_hash,
            board_events,
            chat_events,
            ledger,
            tiers,
            tier_book,
            tier_limits,
            llm_client,
            llm_reservations: Arc::default(),
            runtime_reports: Arc::default(),
            runtime_changes: Arc::new(crate::runtime_changes::RuntimeChanges::new(
                u64::try_from(now_ms()).unwrap_or(0),
            )),
            shutdown,
        });
        spawn_tier_watch(TierWatch {
            book: state.tier_book.clone(),
            store: state.store.clone(),
            changes: state.ledger.subscribe(),
            announce: announce_tier_changes(&state),
            shutdown: state.shutdown.clone(),
        });
        Ok(Application {
            listener,
            api_socket,
            agent_listener,
            state,
            world_join: world_task.join,
            persister_join,
            demo_join,
            world_stop,
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        // A bound listener always has a local address.
        self.listener
            .local_addr()
            .unwrap_or_else(|_| self.state.settings.server.bind)
    }

    /// The address the agent door's TCP listener bound (`server.agent_bind`), if it has one.
    pub fn agent_door_addr(&self) -> Option<SocketAddr> {
        self.agent_listener
            .as_ref()
            .and_then(|listener| listener.local_addr().ok())
    }

    /// Cancelling this token shuts the server down as a signal would.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.state.shutdown.clone()
    }

    /// A handle to the running world (benches drive agents through it).
    pub fn world(&self) -> crate::world::WorldHandle {
        self.state.world.clone()
    }

    /// The store the application uses (tests use it to look behind the API).
    pub fn store(&self) -> Store {
        self.state.store.clone()
    }

    /// The ledger writer's handle (tests follow its committed balance changes).
    pub fn ledger(&self) -> crate::economy::Ledger {
        self.state.ledger.clone()
    }

    /// The JWT keys (tests mint tokens with them).
    pub fn jwt(&self) -> Arc<JwtKeys> {
        self.state.jwt.clone()
    }

    /// Serves until `signal` completes or the shutdown token is cancelled. Then: the world stops
    /// ticking (agents stand still), streams send what is queued and close, open requests finish
    /// (up to `shutdown_grace_ms`), the world saves every position, the store closes.
    pub async fn run_until_stopped(
        self,
        signal: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let Application {
            listener,
            api_socket,
            agent_listener,
            state,
            world_join,
            persister_join,
            demo_join,
            world_stop,
        } = self;
        let shutdown = state.shutdown.clone();
        let grace = Duration::from_millis(state.settings.server.shutdown_grace_ms);
        let store = state.store.clone();
        tracing::info!(addr = %listener.local_addr()?, "serving");
        let socket_join = api_socket.map(|socket| {
            socket.serve(
                crate::app_router::agent_door_router(state.clone()),
                shutdown.clone(),
            )
        });
        let door_join = agent_listener.map(|listener| {
            let door = crate::app_router::agent_door_router(state.clone())
                .into_make_service_with_connect_info::<SocketAddr>();
            let stop = shutdown.clone();
            tokio::spawn(async move {
                let served = axum::serve(listener, door)
                    .with_graceful_shutdown(stop.cancelled_owned())
                    .await;
                if let Err(error) = served {
                    tracing::warn!(%error, "the agent door on TCP stopped");
                }
            })
        });
        let app =
            crate::app_router::router(state).into_make_service_with_connect_info::<SocketAddr>();
        let stop = shutdown.clone();
        let server = axum::serve(listener, app).with_graceful_shutdown(async move {
            tokio::select! {
                () = signal => {}
                () = stop.cancelled() => {}
            }
            stop.cancel();
        });
        let serve = tokio::spawn(async move { server.await });
        shutdown.cancelled().await;
        tracing::info!("shutting down: finishing requests, saving positions");
        let served = async {
            let _ = serve.await;
            for door in [socket_join, door_join].into_iter().flatten() {
                let _ = door.await;
            }
        };
        if tokio::time::timeout(grace, served).await.is_err() {
            tracing::warn!("open requests did not finish within the grace period");
        }
        if let Some(demo) = demo_join {
            let _ = demo.await;
        }
        // Requests are done (or out of time): stop the world, which saves every position.
        world_stop.cancel();
        world_join.await.context("the world task failed")?;
        persister_join.await.context("the persister failed")?;
        store.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Binds the listener; accepted connections inherit its send buffer size.
fn bind(addr: SocketAddr, send_buffer_bytes: u32) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    if send_buffer_bytes > 0 {
        socket.set_send_buffer_size(send_buffer_bytes)?;
    }
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// Connections waiting to be accepted.
const LISTEN_BACKLOG: u32 = 1024;

/// Writes generated residents to the store, skipping names that already exist.
/// The compliance guard's rules: the file `board.compliance_rules_file` names, or the shipped
/// ones.
fn compliance_rules(settings: &Settings) -> anyhow::Result<crate::compliance::ComplianceRules> {
    let Some(path) = &settings.board.compliance_rules_file else {
        return Ok(crate::compliance::ComplianceRules::defaults());
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading board.compliance_rules_file {}", path.display()))?;
    crate::compliance::ComplianceRules::parse(&text)
        .with_context(|| format!("board.compliance_rules_file {}", path.display()))
}

pub async fn insert_residents(store: &Store, residents: &[Resident]) -> anyhow::Result<usize> {
    let mut created = 0;
    for resident in residents {
        let new = NewAgent {
            display_name: resident.display_name.clone(),
            persona: resident.persona.clone(),
            home: Some(resident.home.clone()),
            profile: serde_json::to_value(resident)?,
            brain: shared::runtime::AgentBrain::Scripted,
        };
        match store.insert_agent(&new, now_ms()).await {
            Ok(_) => created += 1,
            Err(crate::store::StoreError::Conflict(_)) => {}
            Err(other) => return Err(other.into()),
        }
    }
    Ok(created)
}

/// How often idle rate-limit keys are forgotten and expired sessions deleted.
const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(60);

/// Keeps memory and the sessions table bounded by what is live: forgets idle rate-limit keys
/// and deletes sessions that have expired.
fn spawn_housekeeping(
    limits: Arc<RateLimits>,
    tier_limits: Arc<TierRequestLimits>,
    store: Store,
    shutdown: CancellationToken,
) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(HOUSEKEEPING_EVERY);
        loop {
            tokio::select! {
                _ = every.tick() => {
                    limits.forget_idle();
                    tier_limits.forget_idle();
                    if let Err(error) = store.delete_expired_sessions(now_ms()).await {
                        tracing::warn!(%error, "could not delete expired sessions");
                    }
                    if let Err(error) = store.delete_expired_web_sessions(now_ms()).await {
                        tracing::warn!(%error, "could not delete expired town hall sessions");
                    }
                }
                () = shutdown.cancelled() => return,
            }
        }
    });
}
