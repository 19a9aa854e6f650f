//! A real village server in-process for the agent's tests, started as the server's own API
//! tests start it (`server/tests/api/helpers.rs`): 127.0.0.1:0, a fresh SQLite database in a
//! temporary folder, the shipped map, a fast tick and request limits no test meets; an admin
//! created in the store and signed in over HTTP. Also: a unix-socket forwarder to it, and a
//! poller that waits for a condition with a deadline.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::AgentId;
use tokio_util::sync::CancellationToken;
use village_server::auth::Role;
use village_server::config::Settings;
use village_server::http::admin_accounts::create_password_account;
use village_server::startup::Application;
use village_server::store::AuditEntry;

const ADMIN_USER: &str = "root-admin";
const ADMIN_PASSWORD: &str = "correct horse battery";
/// Longest any test waits for what it expects.
pub const WAIT: Duration = Duration::from_secs(60);
/// How often a condition is checked again while waiting for it.
const POLL: Duration = Duration::from_millis(50);

pub struct TestServer {
    pub addr: SocketAddr,
    client: reqwest::Client,
    admin_token: String,
    shutdown: CancellationToken,
    join: tokio::task::JoinHandle<anyhow::Result<()>>,
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
        let app = Application::build(settings).await.unwrap();
        let addr = app.local_addr();
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
        let join = tokio::spawn(app.run_until_stopped(std::future::pending()));
        let mut server = TestServer {
            addr,
            client: reqwest::Client::new(),
            admin_token: String::new(),
            shutdown,
            join,
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
    async fn post_as(
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

    /// Creates an agent at `home` through `POST /admin/agents`.
    pub async fn create_agent(&self, name: &str, home: &str) -> TestAgent {
        let body = json!({ "display_name": name, "home": home, "persona": "Likes the library." });
        let created = self.post("/admin/agents", &body, StatusCode::CREATED).await;
        TestAgent {
            id: AgentId(created["agent_id"].as_u64().unwrap()),
            token: created["token"].as_str().unwrap().to_string(),
        }
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

/// Serves `socket` by forwarding each connection to `target` over TCP, until dropped; the
/// stand-in for the API socket mounted into an agent's container.
pub struct UnixForwarder {
    task: tokio::task::JoinHandle<()>,
}

impl UnixForwarder {
    pub fn start(socket: &Path, target: SocketAddr) -> UnixForwarder {
        let listener = tokio::net::UnixListener::bind(socket).unwrap();
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                        // Either side closing ends the copy; errors just end the connection.
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        UnixForwarder { task }
    }
}

impl Drop for UnixForwarder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Checks `check` every [`POLL`] until it gives a value; panics naming `what` after [`WAIT`].
pub async fn eventually<T>(what: &str, mut check: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up waiting for {what}"
        );
        tokio::time::sleep(POLL).await;
    }
}

/// The step lines of a memory file, in order.
pub fn memory_steps(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}
