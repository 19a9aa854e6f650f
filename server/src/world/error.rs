//! Why the world refused a command. Each variant names the problem precisely enough for a
//! client to fix its request; the HTTP layer maps them to status codes.

use shared::{AgentId, AgentStatus, TilePos};
use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum WorldError {
    #[error("no agent with id {0}")]
    UnknownAgent(AgentId),
    #[error("an agent with id {0} is already in the world")]
    DuplicateAgent(AgentId),
    #[error("({x}, {y}) is outside the {width}x{height} map")]
    OutOfBounds {
        x: i64,
        y: i64,
        width: u16,
        height: u16,
    },
    #[error("{0} is not walkable (a wall, water or another obstacle)")]
    NotWalkable(TilePos),
    #[error("no landmark named {key:?}; known landmarks: {known}")]
    UnknownLandmark { key: String, known: String },
    #[error("no path from {from} to {to}")]
    Unreachable { from: TilePos, to: String },
    #[error("every tile of {key} is taken by other agents; try again when one leaves")]
    LandmarkFull { key: String },
    #[error("the agent is {}; it cannot act until it is resumed", .0.as_str())]
    NotAllowed(AgentStatus),
    #[error("the agent must stand on {wanted} to do that; it is at {at}")]
    WrongPlace { wanted: String, at: TilePos },
    #[error("the agent talked too recently; it may talk again in {retry_after_ms} ms")]
    TalkTooSoon { retry_after_ms: u64 },
    #[error("{0}")]
    Invalid(String),
    #[error("the world is full ({0} agents)")]
    Full(usize),
    #[error("no free walkable tile to place the agent")]
    NoFreeTile,
}
