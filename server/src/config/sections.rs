//! The sections of the server's settings that belong to no other module: where it listens
//! and reads files, the world's map, streams, HTTP, the store and the demo (auth's and the
//! board's are their modules' own, like the economy's).
//! Each has its defaults here; `super::Settings::validate` checks them together.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    /// Address to listen on. Loopback by default.
    pub bind: SocketAddr,
    /// Where the SQLite database and the generated JWT key live.
    pub data_dir: PathBuf,
    /// `sqlite://path` or `postgres://user@host/db` (default: `sqlite://<data_dir>/village.db`).
    pub database_url: Option<String>,
    /// The folder holding `maps/` and `tilesets/`.
    pub assets_dir: PathBuf,
    /// The built web viewer (`index.html`, its JS and WASM), served at `/`; built by
    /// `./scripts/build-web.sh`. When it or its `index.html` is missing, `/` says so (503).
    pub viewer_dir: PathBuf,
    /// How long shutdown waits for open requests before giving up.
    pub shutdown_grace_ms: u64,
    /// The agent door on a unix socket (for agent containers with no network; the runtime
    /// mounts its folder): the routes agents use, agent tokens only (`auth::channel`). A stale
    /// socket is replaced; the file is removed at stop.
    pub api_socket: Option<PathBuf>,
    /// The agent door on TCP, for `village-node`'s relays on the other nodes: the same
    /// agents-only router as `api_socket`. Bind it on the private network only.
    pub agent_bind: Option<SocketAddr>,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("data"),
            database_url: None,
            assets_dir: PathBuf::from("assets"),
            viewer_dir: PathBuf::from("client/dist"),
            shutdown_grace_ms: 10_000,
            api_socket: None,
            agent_bind: None,
        }
    }
}

impl ServerSettings {
    /// The database URL in effect.
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("village.db").display()))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorldSettings {
    /// The Tiled map, relative to `assets_dir`.
    pub map_file: String,
    /// Commands waiting for the world task; callers wait (up to `call_timeout_ms`) beyond it.
    pub command_queue_max: usize,
    /// How long a request waits for the world before answering 503.
    pub call_timeout_ms: u64,
}

impl Default for WorldSettings {
    fn default() -> Self {
        Self {
            map_file: "maps/village.tmx".into(),
            command_queue_max: 1024,
            call_timeout_ms: 2_000,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StreamSettings {
    /// Largest WebSocket frame or message a client may send; larger closes the connection.
    pub ws_frame_bytes_max: usize,
    /// Ticks a client may fall behind before it gets `Resync` and a fresh snapshot.
    pub client_queue_frames: usize,
    /// A client that does not take a frame for this long is dropped.
    pub ws_send_timeout_ms: u64,
    /// Kernel send buffer per connection (SO_SNDBUF). Bounds what a client that stops reading
    /// can pin in the kernel, and makes it fall behind (and get `Resync`) after that many bytes
    /// instead of after the kernel's autotuned megabytes. 0 leaves the kernel default.
    pub socket_send_buffer_bytes: u32,
    /// Tiles added on every side of a client's `Viewport` before filtering, so agents are sent
    /// a little before they walk into view.
    pub viewport_margin_tiles: u16,
    /// Longest side of a `Viewport`, in tiles; a larger one is refused with `bad_viewport`.
    /// 256 covers a 4K screen of 16-pixel tiles zoomed out to half size.
    pub viewport_tiles_max: u16,
}

impl Default for StreamSettings {
    fn default() -> Self {
        Self {
            ws_frame_bytes_max: 64 * 1024,
            client_queue_frames: 64,
            ws_send_timeout_ms: 10_000,
            socket_send_buffer_bytes: 256 * 1024,
            viewport_margin_tiles: 4,
            viewport_tiles_max: 256,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpSettings {
    /// Largest request body; larger gets 413.
    pub body_bytes_max: usize,
    /// A request that takes longer gets 408.
    pub request_timeout_ms: u64,
    /// Longest request target (path and query); longer gets the JSON 414. Beyond 65,534 bytes
    /// the HTTP parser (hyper) itself answers a bare 414 before any of the server's code runs.
    pub uri_bytes_max: usize,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            body_bytes_max: 16 * 1024,
            request_timeout_ms: 10_000,
            uri_bytes_max: 8 * 1024,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreSettings {
    /// Changed positions are written behind at most this often.
    pub persist_interval_ms: u64,
}

impl Default for StoreSettings {
    fn default() -> Self {
        Self {
            // Under a second, so that with one tick and the write itself a crash loses less
            // than one second of travel.
            persist_interval_ms: 800,
        }
    }
}

/// Demo residents driven by the server itself, so a fresh village is alive at once.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DemoSettings {
    /// How many generated residents to create (when the village has none) and drive; 0 = off.
    pub agents: usize,
    /// The population seed.
    pub seed: u64,
    /// Real milliseconds per village minute (250: a village day lasts six minutes).
    pub village_minute_ms: u64,
    /// How many of the first residents get agent accounts so the agent runtime runs them in
    /// containers (the demo driver leaves every agent with an account alone); 0 = none.
    pub container_agents: usize,
}

impl Default for DemoSettings {
    fn default() -> Self {
        Self {
            agents: 0,
            seed: 7,
            village_minute_ms: 250,
            container_agents: 0,
        }
    }
}
