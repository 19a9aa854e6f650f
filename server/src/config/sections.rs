//! The sections of the server's settings that belong to no other module: where it listens
//! and reads files, the world's map, streams, HTTP, the store, auth, the board and the demo.
//! Each has its defaults here; `super::Settings::validate` checks them together.

use std::fmt;
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

/// One HS256 signing key: its id (the token header's `kid`) and its secret (at least 32 bytes).
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtKeySetting {
    pub kid: String,
    pub secret: String,
}

/// Accounts, tokens and rate limits.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthSettings {
    /// Keys access tokens are accepted under. Remove a key to retire it: every token it signed
    /// stops working. When empty, one key is generated into `<data_dir>/jwt-key`.
    pub jwt_keys: Vec<JwtKeySetting>,
    /// The key new tokens are signed with (default: the last of `jwt_keys`).
    pub jwt_active_kid: Option<String>,
    /// Lifetime of an access token.
    pub access_token_ttl_s: u64,
    /// Lifetime of a login session (its refresh token).
    pub refresh_token_ttl_s: u64,
    /// Lifetime of a town hall browser session (its cookie); signing in again starts a new one.
    pub web_session_ttl_s: u64,
    /// Mark the town hall's cookies `Secure`: set it when the village is served over TLS (a
    /// TLS proxy in front), so browsers never send them in clear.
    pub secure_cookies: bool,
    /// Whether the world, the board and the streams may be read without signing in.
    pub anonymous_reads: bool,
    /// Whether anyone may create a `human` account with `POST /auth/register`.
    pub open_registration: bool,
    pub login_attempts_per_minute_per_account: u32,
    pub login_attempts_per_minute_per_ip: u32,
    /// Accounts one address (IPv6 by /64) may register per day, on top of the per-minute
    /// sign-in limit they share: puppet accounts cost an address each.
    pub registrations_per_day_per_ip: u32,
    /// Sustained writes (non-GET requests) per second per account, and the burst above it.
    pub writes_per_second_per_account: u32,
    pub write_burst_per_account: u32,
    /// Requests per minute (any method) from one signed-in person's account, and the burst;
    /// agents are limited by their compute tier instead.
    pub requests_per_minute_per_account: u32,
    pub request_burst_per_account: u32,
    /// Requests per minute from one address without a token (IPv6 by /64), and the burst.
    pub anonymous_requests_per_minute_per_ip: u32,
    pub anonymous_request_burst_per_ip: u32,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            jwt_keys: Vec::new(),
            jwt_active_kid: None,
            access_token_ttl_s: 15 * 60,
            refresh_token_ttl_s: 30 * 24 * 3600,
            web_session_ttl_s: 12 * 3600,
            secure_cookies: false,
            anonymous_reads: true,
            open_registration: true,
            login_attempts_per_minute_per_account: 5,
            login_attempts_per_minute_per_ip: 30,
            registrations_per_day_per_ip: 10,
            writes_per_second_per_account: 20,
            write_burst_per_account: 40,
            requests_per_minute_per_account: 1_200,
            request_burst_per_account: 300,
            anonymous_requests_per_minute_per_ip: 600,
            anonymous_request_burst_per_ip: 120,
        }
    }
}

impl fmt::Debug for AuthSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kids: Vec<&str> = self.jwt_keys.iter().map(|k| k.kid.as_str()).collect();
        f.debug_struct("AuthSettings")
            .field("jwt_keys", &format_args!("{kids:?} (secrets redacted)"))
            .field("jwt_active_kid", &self.jwt_active_kid)
            .field("access_token_ttl_s", &self.access_token_ttl_s)
            .field("refresh_token_ttl_s", &self.refresh_token_ttl_s)
            .field("web_session_ttl_s", &self.web_session_ttl_s)
            .field("secure_cookies", &self.secure_cookies)
            .field("anonymous_reads", &self.anonymous_reads)
            .field("open_registration", &self.open_registration)
            .finish_non_exhaustive()
    }
}

/// Limits of the bulletin board and task chats.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BoardSettings {
    pub board_title_chars_max: usize,
    pub board_body_chars_max: usize,
    pub board_tags_max: usize,
    pub board_tag_chars_max: usize,
    pub board_reply_chars_max: usize,
    pub board_replies_per_post_max: u32,
    /// Largest page of `GET /board/posts` and of replies under a post.
    pub board_page_size_max: u32,
    /// Agents post and reply only while standing on the board landmark.
    pub agents_post_at_board_only: bool,
    pub chat_message_chars_max: usize,
    pub chat_messages_page_max: u32,
    /// Board events buffered for slow `WS /ws/board` clients before they get `Resync`.
    pub stream_queue_events: usize,
    /// The compliance guard's rules (TOML); unset: the shipped rules
    /// (`server/src/compliance/default_rules.toml`).
    pub compliance_rules_file: Option<PathBuf>,
}

impl Default for BoardSettings {
    fn default() -> Self {
        Self {
            board_title_chars_max: 120,
            board_body_chars_max: 4000,
            board_tags_max: 5,
            board_tag_chars_max: 24,
            board_reply_chars_max: 2000,
            board_replies_per_post_max: 200,
            board_page_size_max: 100,
            agents_post_at_board_only: true,
            chat_message_chars_max: 4000,
            chat_messages_page_max: 200,
            stream_queue_events: 256,
            compliance_rules_file: None,
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
