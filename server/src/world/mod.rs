//! The authoritative tile world: the map, the agents on it, movement, actions and perception,
//! and the one task that owns it all and ticks it.
//!
//! Nothing outside this module changes the world except by sending a command through
//! [`WorldHandle`]; every change leaves as a [`shared::Delta`] once per tick.

mod actions;
mod agent_state;
mod error;
mod hold;
mod limits;
mod map;
mod movement;
mod pathing;
mod perception;
mod state;
mod task;
mod text;

pub use actions::BOARD_KIND;
pub use agent_state::{AgentRecord, PositionUpdate};
pub use error::WorldError;
pub use limits::WorldLimits;
pub use map::{MapError, TileMap};
pub use state::World;
pub use task::{
    FrameSubscription, TickHealth, WorldHandle, WorldStop, WorldTask, WorldTaskConfig,
    WorldUnavailable, spawn_world,
};
pub use text::{checked_name, checked_text};
