//! The messages of the live world stream (`WS /ws/world`).
//!
//! Version 2 added `AgentView::tier` and `ClientMsg::Viewport`; version 3 added the compliance
//! fields of `BoardPost` (`held`, `labels`), `BoardReply` and `ChatMessage` (`held`, `labels`,
//! `hidden`).
//!
//! Order on a connection: the server sends `Hello`, then a full `Snapshot`, then one `Delta` per
//! tick. A client that falls behind gets `Resync` followed by a fresh `Snapshot`.
//! Enum variants and struct fields are only ever appended, never reordered: postcard encodes
//! variants by index. Any change to an existing message bumps [`PROTOCOL_VERSION`].

use crate::agent::{Activity, AgentStatus, AgentView, Facing};
use crate::board::{BoardEvent, PostStatus};
use crate::chat::ChatMessage;
use crate::ids::{AgentId, PostId, ReplyId, Tick, TilePos};
use crate::world::{Landmark, MapInfo, TileRect};
use serde::{Deserialize, Serialize};

/// The version of this protocol; the server sends it first and a client that does not speak it
/// must stop and say so.
pub const PROTOCOL_VERSION: u32 = 3;

/// Everything the server sends on the world, board and chat streams.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ServerMsg {
    Hello {
        protocol_version: u32,
        server_version: String,
    },
    Snapshot(Snapshot),
    Delta(Delta),
    /// The client fell behind and missed deltas: discard local state; a `Snapshot` follows.
    Resync {
        reason: String,
    },
    /// Something about the client's last message was wrong; the connection may close after it.
    Error {
        code: String,
        message: String,
    },
    /// The answer to a client's `Ping`.
    Pong {
        nonce: u64,
    },
    /// A committed change on the bulletin board (`WS /ws/board` only). After a `Resync` on
    /// that stream, re-read `GET /board/posts`.
    Board(BoardEvent),
    /// A new message in one of the client's task chats (`WS /ws/chats` only).
    Chat(ChatMessage),
}

/// Everything a client may send on the world stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ClientMsg {
    /// Optional: a client may announce the protocol it speaks; a mismatch gets an `Error`.
    Hello { protocol_version: u32 },
    /// Asks for a `Pong` with the same nonce (liveness and round-trip time).
    Ping { nonce: u64 },
    /// The tiles the client shows. From then on the stream carries only the agents inside
    /// `area` (widened by the server's margin): an agent that comes into it arrives in
    /// `Delta::spawned` with its whole view, one that leaves it in `Delta::despawned`, and
    /// speech is sent only from inside it. Board and economy events are never filtered.
    /// A client that never sends one gets the whole world (tools, tests).
    Viewport { area: TileRect },
}

/// The whole visible world at one tick.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Snapshot {
    pub tick: Tick,
    pub map: MapInfo,
    pub landmarks: Vec<Landmark>,
    pub agents: Vec<AgentView>,
}

/// What changed during one tick. A client applies deltas in tick order on top of the snapshot.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Delta {
    pub tick: Tick,
    pub moved: Vec<Moved>,
    pub spawned: Vec<AgentView>,
    pub despawned: Vec<AgentId>,
    pub speech: Vec<Speech>,
    pub status: Vec<StatusChange>,
    /// Board and economy events; their issues append variants to [`VillageEvent`].
    pub events: Vec<VillageEvent>,
}

impl Delta {
    /// An empty delta for `tick`.
    pub fn empty(tick: Tick) -> Self {
        Self {
            tick,
            ..Self::default()
        }
    }

    /// Whether nothing changed in this tick.
    pub fn is_empty(&self) -> bool {
        self.moved.is_empty()
            && self.spawned.is_empty()
            && self.despawned.is_empty()
            && self.speech.is_empty()
            && self.status.is_empty()
            && self.events.is_empty()
    }
}

/// An agent took one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Moved {
    pub id: AgentId,
    pub pos: TilePos,
    pub facing: Facing,
}

/// An agent said something; agents within the hearing radius of `pos` heard it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Speech {
    pub id: AgentId,
    pub pos: TilePos,
    pub text: String,
}

/// An agent's status or activity changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusChange {
    pub id: AgentId,
    pub status: AgentStatus,
    pub activity: Activity,
}

/// Events from the village beyond the tile world, in the tick they happened. Board events are
/// summaries (the whole post is on `WS /ws/board` and `GET /board/posts/{id}`); the economy
/// appends its variants after these, never reordering them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum VillageEvent {
    /// A post went up on the board.
    BoardPost {
        post_id: PostId,
        author: String,
        title: String,
    },
    /// A reply was added under a post.
    BoardReply {
        post_id: PostId,
        reply_id: ReplyId,
        author: String,
    },
    /// A moderator changed a post's status.
    BoardModerated { post_id: PostId, status: PostStatus },
    /// An agent's compute tier in force changed: `reason` is the transfer code that moved its
    /// balance or bought a boost (`reward`, `purchase_compute`, ...), or `boost_ended`.
    TierChanged {
        agent: AgentId,
        from: String,
        to: String,
        reason: String,
    },
}
