//! A real village server in-process for the runtime's tests (the agent loop's and the Docker
//! ones; each test crate includes this file), started as the server's own API tests start it
//! (`server/tests/api/helpers.rs`): 127.0.0.1:0, a fresh SQLite database in a temporary
//! folder, the shipped map, a fast tick and request limits no test meets; an admin created in
//! the store and signed in over HTTP. Also: waiting for a condition with a deadline, checked
//! again at each of the server's world ticks (and each engine event, where a test gives
//! them), never after a sleep.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::AgentId;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;
use village_server::auth::Role;
use village_server::auth::accounts_admin::create_password_account;
use village_server::config::Settings;
use village_server::startup::Application;
use village_server::store::AuditEntry;
use village_server::world::WorldHandle;

/// The `village-agent` binary: the agent crate's (`agent-runtime/agent`), built beside the
/// runtime's own binaries by `cargo test --workspace` or `cargo build -p village-agent`.
pub fn agent_binary() -> PathBuf {
    let runtime = Path::new(env!("CARGO_BIN_EXE_village-runtime"));
    let path = runtime.with_file_name("village-agent");
    assert!(
        path.exists(),
        "{} is missing: build it with `cargo build -p village-agent`",
        path.display()
    );
    path
}

const ADMIN_USER: &str = "root-admin";
const ADMIN_PASSWORD: &str = "correct horse battery";
/// Longest any test waits for what it expects.
pub const WAIT: Duration = Duration::from_secs(60);

/// Signals that something may have changed: a world tick of the test's server, an engine's
/// container event.
pub type Wakes = BoxStream<'static, ()>;

pub struct TestServer {
    pub addr: SocketAddr,
    /// The agent door on TCP, where relays connect, when the test asked for one
    /// (`server.agent_bind`).
    pub agent_door: Option<SocketAddr>,
    client: reqwest::Client,
    admin_token: String,
    shutdown: CancellationToken,
    join: tokio::task::JoinHandle<anyhow::Result<()>>,
    world: WorldHandle,
    /// Kept so the data folder lives as long as the server.
    _data_dir: tempfile::TempDir,
}

/// An agent made by the admin, with its token.
pub struct TestAgent {
    pub id: AgentId,
    pub token: String,
}

fn server_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../server")
}

impl TestServer {
    pub async fn start() -> TestServer {
        TestServer::start_with(|_| {}).await
    }

    /// Starts a server whose settings `configure` may change first (its data folder is
    /// already set).
    pub async fn start_with(configure: impl FnOnce(&mut Settings)) -> TestServer {
        let data_dir = tempfile::tempdir().unwrap();
        let mut settings = Settings::default();
        settings.server.bind = "127.0.0.1:0".parse().unwrap();
        settings.server.data_dir = data_dir.path().to_path_buf();
        settings.server.assets_dir = server_dir().join("../assets");
        settings.limits.tick_interval_ms = 20;
        settings.auth.writes_per_second_per_account = 10_000;
        settings.auth.write_burst_per_account = 10_000;
        settings.auth.requests_per_minute_per_account = 1_000_000;
        settings.auth.request_burst_per_account = 100_000;
        // The default tiers with request limits no test meets (the server's tests use it too).
        settings.economy.tiers_file = Some(server_dir().join("tests/support/roomy_tiers.toml"));
        // Every test's people are new accounts; their small reward budgets (a defence against
        // puppet accounts, tested in the server's `puppets.rs`) would stop a tier change.
        settings.economy.new_account_days = 0;
        configure(&mut settings);
        let app = Application::build(settings).await.unwrap();
        let addr = app.local_addr();
        let agent_door = app.agent_door_addr();
        let audit = AuditEntry::system("admin.account_create", "test");
        create_password_account(
            &app.store(),
            ADMIN_USER,
            ADMIN_PASSWORD.into(),
            Role::Admin,
            audit,
        )
        .await
        .unwrap();
        let shutdown = app.shutdown_token();
        let world = app.world();
        let join = tokio::spawn(app.run_until_stopped(std::future::pending()));
        let mut server = TestServer {
            addr,
            agent_door,
            client: reqwest::Client::new(),
            admin_token: String::new(),
            shutdown,
            join,
            world,
            _data_dir: data_dir,
        };
        let login = json!({ "username": ADMIN_USER, "password": ADMIN_PASSWORD });
        let body = server
            .post_as(None, "/auth/login", &login, StatusCode::OK)
            .await;
        server.admin_token = body["access_token"].as_str().unwrap().to_string();
        server
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// POSTs `body` with `token` (or none) and checks the status; returns the answer's JSON.
    pub async fn post_as(
        &self,
        token: Option<&str>,
        path: &str,
        body: &Value,
        status: StatusCode,
    ) -> Value {
        let mut request = self.client.post(format!("{}{path}", self.url())).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), status, "POST {path}");
        response.json().await.unwrap_or(Value::Null)
    }

    /// POSTs as the admin, expecting `status`.
    pub async fn post(&self, path: &str, body: &Value, status: StatusCode) -> Value {
        self.post_as(Some(&self.admin_token.clone()), path, body, status)
            .await
    }

    /// The body of the first reply `agent` wrote under post `post`, if it wrote one.
    pub async fn reply_by(&self, post: &Value, agent: AgentId) -> Option<String> {
        let thread = self.get(&format!("/board/posts/{post}")).await;
        let reply = thread["replies"]
            .as_array()?
            .iter()
            .find(|r| r["author"]["agent_id"] == agent.0)?;
        Some(reply["body"].as_str()?.to_string())
    }

    /// GETs as the admin, expecting 200.
    pub async fn get(&self, path: &str) -> Value {
        let response = self
            .client
            .get(format!("{}{path}", self.url()))
            .bearer_auth(&self.admin_token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.json().await.unwrap()
    }

    /// A server whose agents live in containers: its API also on `<dir>/api/api.sock` and the
    /// CPU-only tiers (no GPU on a test node). Returns it with the socket's folder, which the
    /// runtime mounts into each container.
    pub async fn start_for_containers(
        dir: &Path,
        configure: impl FnOnce(&mut Settings),
    ) -> (TestServer, PathBuf) {
        let socket_dir = dir.join("api");
        let socket = socket_dir.join("api.sock");
        let tiers =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/cpu_only_tiers.toml");
        let server = TestServer::start_with(|settings| {
            settings.server.api_socket = Some(socket);
            settings.economy.tiers_file = Some(tiers);
            configure(settings);
        })
        .await;
        (server, socket_dir)
    }

    /// Creates an agent at `home` through `POST /admin/agents`.
    pub async fn create_agent(&self, name: &str, home: &str) -> TestAgent {
        let body = json!({ "display_name": name, "home": home, "persona": "Likes the library." });
        let created = self.post("/admin/agents", &body, StatusCode::CREATED).await;
        TestAgent {
            id: AgentId(created["agent_id"].as_u64().unwrap()),
            token: created["token"].as_str().unwrap().to_string(),
        }
    }

    /// Makes a password account with `role` (through the admin API); returns its password.
    pub async fn account(&self, username: &str, role: &str) -> String {
        let password = format!("{username} long password");
        let body = json!({ "username": username, "password": password, "role": role });
        self.post("/admin/accounts", &body, StatusCode::CREATED)
            .await;
        password
    }

    /// A runtime account (`launcher`) and the launcher's signed-in link to this server.
    pub async fn runtime_link(&self) -> std::sync::Arc<runtime::launcher::server_link::ServerLink> {
        use runtime::launcher::server_link::{LinkConfig, ServerLink};
        let password = self.account("launcher", "runtime").await;
        let config = LinkConfig {
            url: self.url(),
            username: "launcher".into(),
            password,
            timeout: Duration::from_secs(10),
        };
        std::sync::Arc::new(ServerLink::new(config).unwrap())
    }

    /// Signs `username` in; returns its access token.
    pub async fn login(&self, username: &str, password: &str) -> String {
        let body = json!({ "username": username, "password": password });
        let answer = self
            .post_as(None, "/auth/login", &body, StatusCode::OK)
            .await;
        answer["access_token"].as_str().unwrap().to_string()
    }

    /// Revokes the agent's token.
    pub async fn revoke(&self, agent: AgentId) {
        let path = format!("/admin/agents/{agent}/revoke");
        self.post(&path, &json!({}), StatusCode::OK).await;
    }

    pub async fn stop(self) {
        self.shutdown.cancel();
        self.join.await.unwrap().unwrap();
    }
}

impl TestServer {
    /// A wake at each tick of this server's world: the moments its state settles. A test
    /// waiting on state another process holds (a container, a file) is checked at this clock
    /// too, the server being the test's own.
    pub fn ticks(&self) -> Wakes {
        let frames = self.world.subscribe(false);
        futures_util::stream::unfold(frames, |mut frames| async move {
            match frames.receiver.recv().await {
                Ok(_) | Err(RecvError::Lagged(_)) => Some(((), frames)),
                Err(RecvError::Closed) => None,
            }
        })
        .boxed()
    }

    /// [`until`] woken at each of this server's ticks.
    pub async fn eventually<T>(&self, what: &str, check: impl AsyncFnMut() -> Option<T>) -> T {
        until(what, self.ticks(), check).await
    }
}

/// Checks `check` now and after each of `wakes` until it gives a value; panics naming `what`
/// after [`WAIT`], or when the wakes end (the server stopped).
pub async fn until<T>(
    what: &str,
    mut wakes: Wakes,
    mut check: impl AsyncFnMut() -> Option<T>,
) -> T {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        match tokio::time::timeout_at(deadline, wakes.next()).await {
            Ok(Some(())) => {}
            Ok(None) => panic!("nothing can change any more while waiting for {what}"),
            Err(_) => panic!("gave up waiting for {what}"),
        }
    }
}

/// The step lines of a memory file, in order.
pub fn memory_steps(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// Fails unless the engine holds no agent container of another village. This server numbers
/// its agents from 1, as any village does, so its containers would take the names of another
/// village's (say `./scripts/village.sh` still running) and clean-up would remove those.
pub fn assert_no_other_village_on_the_engine(node: &str) {
    let output = std::process::Command::new("docker")
        .args(["ps", "-a", "--filter", "label=app=aivillage"])
        .args(["--format", "{{.Names}} {{.Label \"aivillage.node\"}}"])
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&output.stdout);
    let others: Vec<&str> = listing
        .lines()
        .filter(|line| {
            let (name, on) = line.split_once(' ').unwrap_or((line, ""));
            on != node && name.starts_with("aivillage-agent-") && name.len() < 24
        })
        .collect();
    assert!(
        others.is_empty(),
        "another village's agent containers are on this engine (stop it first, e.g. Ctrl-C on \
         ./scripts/village.sh, or remove them: docker rm -f $(docker ps -aq --filter \
         label=app=aivillage)): {others:?}"
    );
}

/// Held by each test that runs this server's agents in containers on the machine's engine:
/// their agents are numbered from 1 in every server, so two such tests at once would fight
/// over the same container names.
pub static ONE_VILLAGE_ON_THE_ENGINE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// How agents run in the runtime's tests and benches: the agent image built on `backend` from
/// this build's `village-agent` (tagged under `repository`), on no network, reaching the server
/// through its API socket in `socket_dir`, with `env` added to the server's address. The launch
/// and the image's recipe.
pub async fn agent_launch(
    backend: &runtime::backend::docker::DockerBackend,
    repository: &str,
    socket_dir: &Path,
    env: &[(&str, &str)],
) -> (runtime::reconcile::Launch, runtime::image::ImageRecipe) {
    use runtime::backend::ContainerBackend;
    let recipe =
        runtime::launcher::agent_image::agent_recipe(repository, &agent_binary(), None).unwrap();
    let image = backend.ensure_image(&recipe).await.unwrap();
    let server_url = format!("unix:{}/api.sock", runtime::spec::API_SOCKET_DIR);
    let launch = runtime::reconcile::Launch {
        image,
        command: recipe.command.clone(),
        env: [("VILLAGE_SERVER_URL", server_url.as_str())]
            .iter()
            .chain(env)
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        network: runtime::spec::Network::None,
        oci_runtime: None,
        tier_runtimes: Default::default(),
        api_socket_dir: Some(socket_dir.display().to_string()),
        egress: None,
    };
    (launch, recipe)
}

/// The machine's Docker engine socket, which the benches drive.
pub const BENCH_DOCKER_SOCKET: &str = "/var/run/docker.sock";

/// A node with room for any bench's agents.
pub const BENCH_CAPACITY: runtime::placement::Capacity = runtime::placement::Capacity {
    cpu_millicores: 64_000,
    memory_mib: 262_144,
    gpus: 0,
};

/// The machine's engine as node `node` for bench `bench`, or `None` (said on stderr) when
/// there is no engine socket; under `CI` a missing engine fails instead.
pub async fn bench_engine(
    bench: &str,
    node: &str,
) -> Option<runtime::backend::docker::DockerBackend> {
    if !Path::new(BENCH_DOCKER_SOCKET).exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI needs the {bench} benchmark's Docker engine"
        );
        eprintln!("SKIPPED: no Docker engine socket at {BENCH_DOCKER_SOCKET}");
        return None;
    }
    let endpoint = format!("unix://{BENCH_DOCKER_SOCKET}");
    Some(
        runtime::backend::docker::DockerBackend::connect(node, &endpoint, Duration::from_secs(30))
            .await
            .unwrap(),
    )
}
