//! What anyone may know about an agent: identity, place, status and what it is doing.

use crate::ids::{AgentId, TilePos};
use serde::{Deserialize, Serialize};

/// Whether an agent is active, and whether it is allowed to act.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AgentStatus {
    /// Acted recently.
    Online,
    /// Has not acted for a while; may act at any time.
    Idle,
    /// Stopped by a moderator or the runtime; its actions are refused until resumed.
    Paused,
    /// Isolated for review; its actions are refused.
    Quarantined,
}

impl AgentStatus {
    /// Whether the agent may move and act in the world.
    pub fn may_act(self) -> bool {
        matches!(self, AgentStatus::Online | AgentStatus::Idle)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AgentStatus::Online => "online",
            AgentStatus::Idle => "idle",
            AgentStatus::Paused => "paused",
            AgentStatus::Quarantined => "quarantined",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Online, Self::Idle, Self::Paused, Self::Quarantined]
            .into_iter()
            .find(|status| status.as_str() == s)
    }
}

/// The direction an agent last stepped in (the viewer picks the sprite from it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Facing {
    North,
    East,
    #[default]
    South,
    West,
}

impl Facing {
    /// The facing of a one-tile step, or `None` for no step.
    pub fn of_step(dx: i32, dy: i32) -> Option<Facing> {
        match (dx.signum(), dy.signum()) {
            (0, -1) => Some(Facing::North),
            (0, 1) => Some(Facing::South),
            (1, _) => Some(Facing::East),
            (-1, _) => Some(Facing::West),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Facing::North => "north",
            Facing::East => "east",
            Facing::South => "south",
            Facing::West => "west",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::North, Self::East, Self::South, Self::West]
            .into_iter()
            .find(|facing| facing.as_str() == s)
    }
}

/// The sort of thing an agent is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    Idle,
    Walking,
    Working,
    UsingBoard,
}

/// What an agent is doing now, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Activity {
    pub kind: ActivityKind,
    /// The landmark it is doing it at (or walking to).
    pub landmark: Option<String>,
    /// Free text the agent gave ("mending a chair").
    pub detail: Option<String>,
}

impl Activity {
    pub fn idle() -> Self {
        Self {
            kind: ActivityKind::Idle,
            landmark: None,
            detail: None,
        }
    }
}

/// An agent as the world shows it to anyone watching.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentView {
    pub id: AgentId,
    pub display_name: String,
    /// One paragraph describing who the agent is.
    pub persona: String,
    /// The landmark key of its home.
    pub home: Option<String>,
    pub pos: TilePos,
    pub facing: Facing,
    pub status: AgentStatus,
    pub activity: Activity,
    /// When the agent last acted, in milliseconds since the Unix epoch.
    pub last_seen_ms: i64,
    /// The name of the compute tier in force (`seedling`, `worker`, ...); kept current by
    /// `VillageEvent::TierChanged` in the deltas.
    pub tier: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_and_facing_names_round_trip() {
        // Every variant parses back from its own name, and nothing else parses.
        for s in [
            AgentStatus::Online,
            AgentStatus::Idle,
            AgentStatus::Paused,
            AgentStatus::Quarantined,
        ] {
            assert_eq!(AgentStatus::parse(s.as_str()), Some(s));
        }
        for f in [Facing::North, Facing::East, Facing::South, Facing::West] {
            assert_eq!(Facing::parse(f.as_str()), Some(f));
        }
        assert_eq!(AgentStatus::parse("asleep"), None);
        assert_eq!(Facing::of_step(0, 0), None);
        assert_eq!(Facing::of_step(0, -1), Some(Facing::North));
    }
}
