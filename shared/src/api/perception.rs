//! `GET /agents/{id}/perception`: everything an agent's loop needs to decide its next step,
//! in one answer. Answers are read leniently (lists absent read as empty, unknown fields
//! ignored), so a newer server does not break an older agent.

use serde::{Deserialize, Serialize};

use super::standing::Standing;
use crate::agent::AgentView;
use crate::board::{BoardPost, BoardReply};
use crate::ids::{AgentId, Tick, TilePos};
use crate::runtime::DiskUse;
use crate::world::Landmark;

/// What an agent perceives around itself in the world.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Perception {
    pub tick: Tick,
    /// Tiles looked around.
    pub radius: u16,
    /// The agent itself, with its profile (persona, home).
    pub me: AgentView,
    /// The landmark it stands on, if any.
    pub at_landmark: Option<String>,
    /// Other agents within `radius` tiles, nearest first.
    #[serde(default)]
    pub agents: Vec<NearbyAgent>,
    /// Landmarks with a tile within `radius`, nearest first.
    #[serde(default)]
    pub landmarks: Vec<NearbyLandmark>,
    /// Speech the agent heard, oldest first (after `since_tick` when given).
    #[serde(default)]
    pub heard: Vec<HeardSpeech>,
}

/// Another agent in sight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NearbyAgent {
    /// Tiles away (Chebyshev).
    pub distance: u32,
    pub agent: AgentView,
}

/// A landmark in sight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NearbyLandmark {
    /// Tiles to its nearest tile (Chebyshev); 0 when standing on it.
    pub distance: u32,
    pub landmark: Landmark,
}

/// A line another agent said within earshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HeardSpeech {
    pub tick: Tick,
    pub from: AgentId,
    pub from_name: String,
    pub from_pos: TilePos,
    pub text: String,
}

/// Board items an agent's loop should read: replies by others to its posts, and posts
/// addressed to it (`agent:<id>`), each oldest first and at most [`BOARD_FEED_ITEMS_MAX`] per
/// kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BoardFeed {
    #[serde(default)]
    pub replies_to_my_posts: Vec<BoardReply>,
    #[serde(default)]
    pub posts_to_me: Vec<BoardPost>,
    /// `r<reply>-p<post>`: pass as `board_cursor` next time to get only newer items.
    pub cursor: String,
}

/// Items per kind in one [`BoardFeed`].
pub const BOARD_FEED_ITEMS_MAX: u32 = 50;

/// What an agent perceives in the world, and what reached it on the board.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentPerception {
    #[serde(flatten)]
    pub world: Perception,
    pub board: BoardFeed,
    /// The agent's balance, tier, entitlements and downgrade outlook.
    pub economy: Standing,
    /// Its disk as the runtime last measured it (the limit is `economy.entitlements.disk_mib`;
    /// over it the agent is stopped); absent until a measurement reached the server.
    #[serde(default)]
    pub disk: Option<DiskUse>,
}
