//! `spawn_app()`: a real server on 127.0.0.1:0 with its own data folder, plus small clients
//! for its HTTP API and world stream.

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
use village_server::config::Settings;
use village_server::startup::Application;
use village_server::store::Store;

pub const DEV_TOKEN: &str = "test-dev-token-0123456789";
/// Longest any test waits for an expected event.
pub const WAIT: Duration = Duration::from_secs(20);

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub store: Store,
    pub shutdown: CancellationToken,
    pub join: tokio::task::JoinHandle<anyhow::Result<()>>,
    /// Kept so the folder lives as long as the server.
    pub _data_dir: tempfile::TempDir,
}

pub fn assets_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../assets")
}

/// Settings for a test server: port 0, its own data folder, a fast tick, a known dev token.
pub fn test_settings(data_dir: &std::path::Path) -> Settings {
    let mut settings = Settings::default();
    settings.server.bind = "127.0.0.1:0".parse().unwrap();
    settings.server.data_dir = data_dir.to_path_buf();
    settings.server.assets_dir = assets_dir();
    settings.auth.dev_token = Some(DEV_TOKEN.to_string());
    settings.limits.tick_interval_ms = 20;
    settings
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts a server whose settings `configure` may change first.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let data_dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings(data_dir.path());
    configure(&mut settings);
    let app = Application::build(settings).await.unwrap();
    let addr = app.local_addr();
    let store = app.store();
    let shutdown = app.shutdown_token();
    let join = tokio::spawn(app.run_until_stopped(std::future::pending()));
    TestApp {
        addr,
        client: reqwest::Client::new(),
        store,
        shutdown,
        join,
        _data_dir: data_dir,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn get_json(&self, path: &str) -> Value {
        let response = self.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.json().await.unwrap()
    }

    /// POST with the dev token.
    pub async fn post(&self, path: &str, body: &Value) -> Response {
        self.client
            .post(self.url(path))
            .bearer_auth(DEV_TOKEN)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// Creates an agent and returns its id.
    pub async fn create_agent(&self, name: &str, home: Option<&str>) -> AgentId {
        let response = self
            .post("/agents", &json!({ "display_name": name, "home": home }))
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.unwrap();
        AgentId(body["id"].as_u64().unwrap())
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

    pub async fn send_raw(&mut self, message: Message) {
        self.socket.send(message).await.unwrap();
    }
}
