//! Protocol and domain types shared by the village server, the viewer and the agent runtime.
//!
//! This crate must build for `wasm32-unknown-unknown`: no tokio, no sqlx, no bevy, no I/O.
//! Everything here is plain data plus the one place that encodes and decodes it ([`codec`]);
//! the one exception, behind the `socket-file` feature, is binding a unix socket file, which
//! the server and the runtime's node relay both do.

pub mod agent;
pub mod api;
pub mod board;
pub mod chat;
pub mod codec;
#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;
pub mod ids;
pub mod mirror;
pub mod money;
pub mod protocol;
pub mod runtime;
#[cfg(all(unix, feature = "socket-file"))]
pub mod socket_file;
pub mod tier;
pub mod tool_call;
pub mod world;

pub use agent::{Activity, ActivityKind, AgentStatus, AgentView, Facing};
pub use board::{Audience, Author, BoardEvent, BoardPost, BoardReply, PostStatus};
pub use chat::{Chat, ChatMessage};
pub use ids::{AccountId, AgentId, ChatId, MessageId, PostId, ReplyId, Tick, TilePos};
pub use mirror::{Applied, MirrorError, WorldMirror};
pub use money::{MICROS_PER_AIDOLLAR, MoneyError, format_aidollar, parse_aidollar};
pub use protocol::{ClientMsg, Delta, PROTOCOL_VERSION, ServerMsg, Snapshot};
pub use tier::{
    Boost, DowngradeOutlook, Entitlements, GpuShare, TierError, TierRank, TierSpec, TierTable,
};
pub use tool_call::{ToolCallRecord, ToolCallRecorded, ToolCallReport, ToolKind, ToolOutcome};
pub use world::{Landmark, MapInfo, TileRect};
