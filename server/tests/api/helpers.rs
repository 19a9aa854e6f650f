//! `spawn_app()`: a real server on 127.0.0.1:0 with its own data folder and database, an admin
//! signed in, plus small clients for its HTTP API and streams.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use shared::codec::{self, Format, Frame};
use shared::{AgentId, ServerMsg, TilePos};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;
use village_server::auth::Role;
use village_server::auth::accounts_admin::create_password_account;
use village_server::config::Settings;
use village_server::startup::Application;
use village_server::store::{AuditEntry, Store};

/// The admin every test server starts with.
pub const ADMIN_USER: &str = "root-admin";
pub const ADMIN_PASSWORD: &str = "correct horse battery";
/// Longest any test waits for an expected event.
pub const WAIT: Duration = Duration::from_secs(20);

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    /// A client of the agent door: the API socket agent containers have mounted.
    pub door: reqwest::Client,
    pub store: Store,
    /// The ledger writer: tests wait on its committed balance changes.
    pub ledger: village_server::economy::Ledger,
    pub shutdown: CancellationToken,
    pub join: tokio::task::JoinHandle<anyhow::Result<()>>,
    /// An access token of the admin account.
    pub admin_token: String,
    /// Tokens of the agents made with `create_agent`.
    pub agent_tokens: std::sync::Mutex<std::collections::HashMap<AgentId, String>>,
    /// Kept so the folder lives as long as the server.
    pub _data_dir: tempfile::TempDir,
}

pub fn assets_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../assets")
}

/// Settings for a test server: port 0, its own data folder, a fast tick.
pub fn test_settings(data_dir: &std::path::Path) -> Settings {
    let mut settings = Settings::default();
    settings.server.bind = "127.0.0.1:0".parse().unwrap();
    settings.server.data_dir = data_dir.to_path_buf();
    settings.server.assets_dir = assets_dir();
    settings.limits.tick_interval_ms = 20;
    // Tests write fast; `auth::writes_are_rate_limited_per_account` sets a real limit.
    settings.auth.writes_per_second_per_account = 10_000;
    settings.auth.write_burst_per_account = 10_000;
    settings.auth.requests_per_minute_per_account = 1_000_000;
    settings.auth.request_burst_per_account = 100_000;
    settings.auth.anonymous_requests_per_minute_per_ip = 1_000_000;
    settings.auth.anonymous_request_burst_per_ip = 100_000;
    // New accounts' small reward budgets apply to accounts by age, and every test's are new:
    // `puppets.rs` turns them back on.
    settings.economy.new_account_days = 0;
    // The default tiers with request limits no test meets; `limits.rs` uses the real ones.
    settings.economy.tiers_file = Some(roomy_tiers_file());
    settings
}

/// The default tier table with very high request limits (`tests/support/roomy_tiers.toml`).
pub fn roomy_tiers_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/roomy_tiers.toml")
}

/// Which database a test server uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    /// A fresh database on the test cluster; `None` from [`Db::postgres`] when no cluster runs.
    Postgres,
}

impl Db {
    /// PostgreSQL when the test cluster runs (always under CI), else nothing.
    pub fn postgres() -> Option<Db> {
        crate::databases::postgres_admin_url().map(|_| Db::Postgres)
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts a server whose settings `configure` may change first.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_on(Db::Sqlite, configure).await
}

/// Starts a server on `db`, creates the admin account as `village admin create` does, and
/// signs it in over HTTP.
pub async fn spawn_app_on(db: Db, configure: impl FnOnce(&mut Settings)) -> TestApp {
    let data_dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings(data_dir.path());
    if db == Db::Postgres {
        let admin = crate::databases::postgres_admin_url().unwrap();
        settings.server.database_url =
            Some(crate::databases::fresh_postgres_database(&admin).await);
    }
    settings.server.api_socket = Some(data_dir.path().join("api.sock"));
    configure(&mut settings);
    let socket = settings.server.api_socket.clone();
    let app = Application::build(settings).await.unwrap();
    let addr = app.local_addr();
    let store = app.store();
    let ledger = app.ledger();
    create_account(&store, ADMIN_USER, ADMIN_PASSWORD, Role::Admin).await;
    let shutdown = app.shutdown_token();
    let join = tokio::spawn(app.run_until_stopped(std::future::pending()));
    let mut app = TestApp {
        addr,
        client: reqwest::Client::new(),
        door: match socket {
            Some(path) => reqwest::Client::builder()
                .unix_socket(path)
                .build()
                .unwrap(),
            None => reqwest::Client::new(),
        },
        store,
        ledger,
        shutdown,
        join,
        admin_token: String::new(),
        agent_tokens: Default::default(),
        _data_dir: data_dir,
    };
    app.admin_token = app.login(ADMIN_USER, ADMIN_PASSWORD).await;
    app
}

/// A client whose connections come from `ip` (any of 127.0.0.0/8 reaches the test server):
/// another caller's address, for per-address limits.
pub fn client_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(ip.parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap()
}

/// Sends `request` with `token` as its bearer, or anonymously.
async fn send(request: reqwest::RequestBuilder, token: Option<&str>) -> Response {
    match token {
        Some(token) => request.bearer_auth(token),
        None => request,
    }
    .send()
    .await
    .unwrap()
}

/// Creates a password account directly in the store (as the CLI does).
pub async fn create_account(store: &Store, username: &str, password: &str, role: Role) -> u64 {
    let audit = AuditEntry::system("admin.account_create", "test");
    create_password_account(store, username, password.to_string(), role, audit)
        .await
        .unwrap()
        .id
        .0
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// GET as the admin (who may read everything).
    pub async fn get(&self, path: &str) -> Response {
        self.get_as(Some(&self.admin_token), path).await
    }

    /// GET with `token`, or anonymously.
    pub async fn get_as(&self, token: Option<&str>, path: &str) -> Response {
        send(self.client.get(self.url(path)), token).await
    }

    /// GET through the agent door (the API socket) with `token`, or anonymously.
    pub async fn door_get_as(&self, token: Option<&str>, path: &str) -> Response {
        send(self.door.get(self.url(path)), token).await
    }

    /// POST through the agent door (the API socket) with `token`, or anonymously.
    pub async fn door_post_as(&self, token: Option<&str>, path: &str, body: &Value) -> Response {
        send(self.door.post(self.url(path)).json(body), token).await
    }

    /// GET with `token`, or anonymously, as JSON whatever the status.
    pub async fn get_json_as(&self, token: Option<&str>, path: &str) -> Value {
        self.get_as(token, path).await.json().await.unwrap()
    }

    /// POST with `token`, or anonymously, as JSON whatever the status.
    pub async fn post_json_as(&self, token: Option<&str>, path: &str, body: &Value) -> Value {
        self.post_as(token, path, body).await.json().await.unwrap()
    }

    pub async fn get_json(&self, path: &str) -> Value {
        let response = self.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.json().await.unwrap()
    }

    /// POST as the admin.
    pub async fn post(&self, path: &str, body: &Value) -> Response {
        self.post_as(Some(&self.admin_token), path, body).await
    }

    /// POST with `token`, or anonymously.
    pub async fn post_as(&self, token: Option<&str>, path: &str, body: &Value) -> Response {
        send(self.client.post(self.url(path)).json(body), token).await
    }

    /// PUT with `token`, or anonymously.
    pub async fn put_as(&self, token: Option<&str>, path: &str, body: &Value) -> Response {
        send(self.client.put(self.url(path)).json(body), token).await
    }

    /// Signs in; returns the access token.
    pub async fn login(&self, username: &str, password: &str) -> String {
        let response = self
            .post_as(
                None,
                "/auth/login",
                &json!({ "username": username, "password": password }),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK, "login as {username}");
        let body: Value = response.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_string()
    }

    /// Creates an account with `role` through the admin API and signs it in; returns the
    /// account id and its access token.
    pub async fn account(&self, username: &str, role: &str) -> (u64, String) {
        let response = self
            .post(
                "/admin/accounts",
                &json!({ "username": username, "password": ADMIN_PASSWORD, "role": role }),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED, "create {username}");
        let body: Value = response.json().await.unwrap();
        let token = self.login(username, ADMIN_PASSWORD).await;
        (body["account_id"].as_u64().unwrap(), token)
    }

    /// Creates an agent (as the admin) and returns its id; its token is kept.
    pub async fn create_agent(&self, name: &str, home: Option<&str>) -> AgentId {
        let response = self
            .post(
                "/admin/agents",
                &json!({ "display_name": name, "home": home }),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.unwrap();
        let id = AgentId(body["agent_id"].as_u64().unwrap());
        let token = body["token"].as_str().unwrap().to_string();
        self.agent_tokens.lock().unwrap().insert(id, token);
        id
    }

    /// The token of an agent made with [`TestApp::create_agent`].
    pub fn agent_token(&self, id: AgentId) -> String {
        self.agent_tokens.lock().unwrap()[&id].clone()
    }

    pub async fn agent(&self, id: AgentId) -> Value {
        self.get_json(&format!("/agents/{id}")).await
    }

    pub async fn pos(&self, id: AgentId) -> TilePos {
        serde_json::from_value(self.agent(id).await["pos"].clone()).unwrap()
    }

    pub async fn stream(&self) -> WorldStream {
        WorldStream::connect(self.addr, Format::Postcard).await
    }

    pub async fn stop(self) {
        self.shutdown.cancel();
        self.join.await.unwrap().unwrap();
    }
}

/// The string `field` of every element of the JSON array `items`.
pub fn texts(items: &Value, field: &str) -> Vec<String> {
    items
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {items}"))
        .iter()
        .map(|item| item[field].as_str().unwrap().to_string())
        .collect()
}

/// Asserts an error answer: status, `error.code`, and that the message is not empty.
pub async fn assert_error(response: Response, status: StatusCode, code: &str) -> String {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], code, "body: {body}");
    let message = body["error"]["message"].as_str().unwrap().to_string();
    assert!(!message.is_empty());
    message
}

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A client of `WS /ws/world`.
pub struct WorldStream {
    pub socket: Socket,
    pub format: Format,
}

impl WorldStream {
    pub async fn connect(addr: SocketAddr, format: Format) -> WorldStream {
        let query = if format == Format::Json {
            "?format=json"
        } else {
            ""
        };
        let (socket, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws/world{query}"))
            .await
            .unwrap();
        WorldStream { socket, format }
    }

    /// The next server message (panics on close, error or after `WAIT`).
    pub async fn next(&mut self) -> ServerMsg {
        loop {
            let message = tokio::time::timeout(WAIT, self.socket.next())
                .await
                .expect("a message in time")
                .expect("the stream is open")
                .expect("no WebSocket error");
            let frame = match message {
                Message::Binary(bytes) => Frame::Binary(bytes.to_vec()),
                Message::Text(text) => Frame::Text(text.as_str().to_string()),
                Message::Close(close) => panic!("stream closed: {close:?}"),
                _ => continue,
            };
            return codec::decode_server(&frame, self.format, 64 << 20).unwrap();
        }
    }

    /// Skips the Hello and the Snapshot; returns the snapshot's tick.
    pub async fn skip_intro(&mut self) -> u64 {
        assert!(matches!(self.next().await, ServerMsg::Hello { .. }));
        match self.next().await {
            ServerMsg::Snapshot(snapshot) => snapshot.tick.0,
            other => panic!("expected a snapshot, got {other:?}"),
        }
    }

    /// Reads deltas until agent `id` is reported on `to`.
    pub async fn wait_for_move(&mut self, id: AgentId, to: TilePos) {
        loop {
            if let ServerMsg::Delta(delta) = self.next().await
                && delta.moved.iter().any(|m| m.id == id && m.pos == to)
            {
                return;
            }
        }
    }

    /// Reads deltas until one carries `expected` (at most 500 messages).
    pub async fn wait_for_event(&mut self, expected: &shared::protocol::VillageEvent) {
        for _ in 0..500 {
            if let ServerMsg::Delta(delta) = self.next().await
                && delta.events.contains(expected)
            {
                return;
            }
        }
        panic!("no {expected:?} in 500 messages");
    }

    /// Sends a client message in the stream's format.
    pub async fn send(&mut self, message: &shared::ClientMsg) {
        let frame = match codec::encode_client(message, self.format).unwrap() {
            Frame::Binary(bytes) => Message::Binary(bytes.into()),
            Frame::Text(text) => Message::Text(text.into()),
        };
        self.send_raw(frame).await;
    }

    pub async fn send_raw(&mut self, message: Message) {
        self.socket.send(message).await.unwrap();
    }
}

/// The HTTP status a refused WebSocket upgrade answered (panics if the upgrade succeeded or
/// failed for another reason, so a test cannot pass on a mistyped route or a dead server).
pub async fn refused_upgrade_status(url: &str) -> StatusCode {
    match tokio_tungstenite::connect_async(url).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            StatusCode::from_u16(response.status().as_u16()).unwrap()
        }
        Err(other) => panic!("the upgrade of {url} failed without an HTTP answer: {other}"),
        Ok(_) => panic!("the upgrade of {url} was accepted"),
    }
}
