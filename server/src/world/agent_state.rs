//! The server's own record of one agent: what anyone may see plus what only the world needs
//! (its walk, its talk cooldown, what it heard).

use std::collections::VecDeque;

use shared::api::HeardSpeech;
use shared::{AgentId, AgentView, Facing, Tick, TilePos};

/// An agent as the store hands it to the world at start or on creation.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentRecord {
    pub view: AgentView,
    /// Whether `view.pos` is a real saved position; a new agent has none and is placed at home.
    pub has_position: bool,
}

/// Where a walk is going: a tile, or any free tile of a landmark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Goal {
    Tile(TilePos),
    Landmark(String),
}

/// A position and status to be written behind to the store.
#[derive(Debug, Clone, PartialEq)]
pub struct PositionUpdate {
    pub id: AgentId,
    pub pos: TilePos,
    pub facing: Facing,
    pub status: shared::AgentStatus,
    pub activity: shared::Activity,
    pub last_seen_ms: i64,
}

/// One agent inside the world.
#[derive(Debug, Clone)]
pub struct AgentState {
    pub view: AgentView,
    pub goal: Option<Goal>,
    /// The tiles still to walk, next first.
    pub path: VecDeque<TilePos>,
    pub blocked_ticks: u32,
    /// The first tick at which the agent may talk again.
    pub talk_ready_at: Tick,
    pub heard: VecDeque<HeardSpeech>,
}

impl AgentState {
    pub fn new(view: AgentView) -> Self {
        Self {
            view,
            goal: None,
            path: VecDeque::new(),
            blocked_ticks: 0,
            talk_ready_at: Tick(0),
            heard: VecDeque::new(),
        }
    }

    pub fn id(&self) -> AgentId {
        self.view.id
    }

    pub fn pos(&self) -> TilePos {
        self.view.pos
    }

    pub fn position_update(&self) -> PositionUpdate {
        PositionUpdate {
            id: self.view.id,
            pos: self.view.pos,
            facing: self.view.facing,
            status: self.view.status,
            activity: self.view.activity.clone(),
            last_seen_ms: self.view.last_seen_ms,
        }
    }

    /// Remembers a heard line, forgetting the oldest beyond `max`.
    pub fn hear(&mut self, line: HeardSpeech, max: usize) {
        if max == 0 {
            return;
        }
        while self.heard.len() >= max {
            self.heard.pop_front();
        }
        self.heard.push_back(line);
    }
}
