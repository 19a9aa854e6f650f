//! Small worlds for tests in every crate (feature `fixtures`, or this crate's own tests): an
//! idle agent on a tile, the shipped map's shape, a snapshot of both. Not for production code.

use crate::agent::{Activity, AgentStatus, AgentView, Facing};
use crate::ids::{AgentId, Tick, TilePos};
use crate::protocol::Snapshot;
use crate::world::MapInfo;

/// An idle seedling called `agent {id}` at (x, y), facing south.
pub fn agent_view(id: u64, x: u16, y: u16) -> AgentView {
    AgentView {
        id: AgentId(id),
        display_name: format!("agent {id}"),
        persona: String::new(),
        home: None,
        pos: TilePos::new(x, y),
        facing: Facing::South,
        status: AgentStatus::Idle,
        activity: Activity::idle(),
        last_seen_ms: 0,
        tier: "seedling".into(),
    }
}

/// The shipped map's shape: 48×32 tiles of 16 px.
pub fn village_map() -> MapInfo {
    MapInfo {
        file: "maps/village.tmx".into(),
        width: 48,
        height: 32,
        tile_width_px: 16,
        tile_height_px: 16,
    }
}

/// A snapshot of `agents` on [`village_map`] at `tick`, without landmarks.
pub fn snapshot(tick: u64, agents: Vec<AgentView>) -> Snapshot {
    Snapshot {
        tick: Tick(tick),
        map: village_map(),
        landmarks: vec![],
        agents,
    }
}
