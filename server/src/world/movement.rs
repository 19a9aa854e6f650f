//! Movement: validating a move request, planning its path, and walking every walker one tile
//! per tick, waiting or re-planning when another agent is in the way.

use serde::{Deserialize, Serialize};
use shared::protocol::Moved;
use shared::{Activity, ActivityKind, AgentId, Facing, TilePos};

use super::agent_state::Goal;
use super::error::WorldError;
use super::pathing::{Target, plan_path};
use super::state::World;

/// Where a move request wants the agent to go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoveTarget {
    /// Relative to the agent's tile; one step when |dx|+|dy| is 1, otherwise a walk.
    Offset { dx: i64, dy: i64 },
    /// An absolute tile.
    Tile { x: i64, y: i64 },
    /// Any free tile of a landmark.
    Landmark(String),
}

/// What a successful move request set in motion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MovePlan {
    pub from: TilePos,
    /// The tile the walk ends on.
    pub to: TilePos,
    /// Tiles to walk, one per tick; 0 when the agent is already there.
    pub steps: usize,
    /// The landmark the walk heads for, if one was named or the target lies in one.
    pub landmark: Option<String>,
}

impl World {
    /// Validates a move and starts the walk; the agent takes its first step at the next tick.
    pub fn request_move(
        &mut self,
        id: AgentId,
        target: MoveTarget,
        now_ms: i64,
    ) -> Result<MovePlan, WorldError> {
        let slot = self.slot(id)?;
        let agent = &self.agents[slot];
        if !agent.view.status.may_act() {
            return Err(WorldError::NotAllowed(agent.view.status));
        }
        let from = agent.pos();
        let (goal, path_target) = match target {
            MoveTarget::Offset { dx, dy } => {
                let tile = self.checked_tile(i64::from(from.x) + dx, i64::from(from.y) + dy)?;
                (Goal::Tile(tile), Target::Tile(tile))
            }
            MoveTarget::Tile { x, y } => {
                let tile = self.checked_tile(x, y)?;
                (Goal::Tile(tile), Target::Tile(tile))
            }
            MoveTarget::Landmark(key) => {
                let landmark =
                    self.map
                        .landmark(&key)
                        .ok_or_else(|| WorldError::UnknownLandmark {
                            known: self.landmark_keys(),
                            key: key.clone(),
                        })?;
                (Goal::Landmark(key), Target::Area(landmark.area))
            }
        };
        let path =
            self.plan(from, id, path_target, false)
                .ok_or_else(|| WorldError::Unreachable {
                    from,
                    to: match &goal {
                        Goal::Tile(t) => t.to_string(),
                        Goal::Landmark(key) => key.clone(),
                    },
                })?;
        let to = path.last().copied().unwrap_or(from);
        let landmark = match &goal {
            Goal::Landmark(key) => Some(key.clone()),
            Goal::Tile(t) => self.map.landmark_at(*t).map(|l| l.key.clone()),
        };
        let plan = MovePlan {
            from,
            to,
            steps: path.len(),
            landmark: landmark.clone(),
        };
        self.touch(slot, now_ms);
        let agent = &mut self.agents[slot];
        agent.blocked_ticks = 0;
        if path.is_empty() {
            agent.goal = None;
            agent.path.clear();
        } else {
            agent.goal = Some(goal);
            agent.path = path.into();
            let walking = Activity {
                kind: ActivityKind::Walking,
                landmark,
                detail: None,
            };
            self.set_activity(slot, walking);
        }
        Ok(plan)
    }

    /// Stops an agent's walk where it stands.
    pub(super) fn stop_walking(&mut self, slot: usize) {
        let agent = &mut self.agents[slot];
        agent.goal = None;
        agent.path.clear();
        agent.blocked_ticks = 0;
    }

    /// Moves every walker one tile along its path, in slot order. A walker whose next tile is
    /// taken waits; after `replan_after_blocked_ticks` it plans around the agents in its way,
    /// and after `give_up_after_blocked_ticks` it stops.
    pub(super) fn step_walkers(&mut self) {
        let mut replans_left = self.limits.replans_per_tick_max;
        for slot in 0..self.agents.len() {
            let Some(&next) = self.agents[slot].path.front() else {
                continue;
            };
            if self.is_free(next) {
                self.step(slot, next);
                continue;
            }
            let agent = &mut self.agents[slot];
            agent.blocked_ticks += 1;
            if agent.blocked_ticks >= self.limits.give_up_after_blocked_ticks {
                self.stop_walking(slot);
                self.set_activity(slot, Activity::idle());
            } else if agent.blocked_ticks >= self.limits.replan_after_blocked_ticks
                && replans_left > 0
            {
                replans_left -= 1;
                self.replan(slot);
            }
        }
    }

    fn step(&mut self, slot: usize, next: TilePos) {
        let agent = &mut self.agents[slot];
        let from = agent.pos();
        agent.path.pop_front();
        agent.blocked_ticks = 0;
        let dx = i32::from(next.x) - i32::from(from.x);
        let dy = i32::from(next.y) - i32::from(from.y);
        debug_assert_eq!(dx.abs() + dy.abs(), 1, "a step is one tile");
        agent.view.pos = next;
        agent.view.facing = Facing::of_step(dx, dy).unwrap_or(agent.view.facing);
        let id = agent.id();
        let arrived = agent.path.is_empty();
        let moved = Moved {
            id,
            pos: next,
            facing: agent.view.facing,
        };
        let from_index = self.map.index(from);
        let to_index = self.map.index(next);
        self.occupancy[from_index] = None;
        self.occupancy[to_index] = Some(id);
        self.pending.moved.push(moved);
        self.dirty.insert(id);
        if arrived {
            self.agents[slot].goal = None;
            let landmark = self.map.landmark_at(next).map(|l| l.key.clone());
            let idle_here = Activity {
                kind: ActivityKind::Idle,
                landmark,
                detail: None,
            };
            self.set_activity(slot, idle_here);
        }
    }

    /// Plans a fresh path for a blocked walker around every other agent.
    fn replan(&mut self, slot: usize) {
        let agent = &self.agents[slot];
        let (id, from) = (agent.id(), agent.pos());
        let target = match &agent.goal {
            Some(Goal::Tile(t)) => Target::Tile(*t),
            Some(Goal::Landmark(key)) => match self.map.landmark(key) {
                Some(l) => Target::Area(l.area),
                None => return,
            },
            None => return,
        };
        if let Some(path) = self.plan(from, id, target, true) {
            let agent = &mut self.agents[slot];
            agent.path = path.into();
            if agent.path.is_empty() {
                self.stop_walking(slot);
            }
        }
    }

    /// Plans a path. Other agents are in the way only when `avoid_agents` is set; for an area
    /// target they always are at the end (a walk ends on a free tile).
    fn plan(
        &self,
        from: TilePos,
        me: AgentId,
        target: Target,
        avoid_agents: bool,
    ) -> Option<Vec<TilePos>> {
        let occupied = |p: TilePos| matches!(self.occupancy[self.map.index(p)], Some(o) if o != me);
        let nodes_max = self.limits.path_search_nodes_max;
        match target {
            Target::Area(area) if !avoid_agents => {
                // Walk through others but end on a free tile: plan to the area ignoring agents,
                // then let the end tile be any free one.
                plan_path(
                    &self.map,
                    from,
                    target,
                    |p| area.contains(p) && occupied(p),
                    nodes_max,
                )
            }
            _ if avoid_agents => plan_path(&self.map, from, target, occupied, nodes_max),
            _ => plan_path(&self.map, from, target, |_| false, nodes_max),
        }
    }

    fn checked_tile(&self, x: i64, y: i64) -> Result<TilePos, WorldError> {
        let tile = self.map.tile(x, y).ok_or(WorldError::OutOfBounds {
            x,
            y,
            width: self.map.width(),
            height: self.map.height(),
        })?;
        if !self.map.is_walkable(tile) {
            return Err(WorldError::NotWalkable(tile));
        }
        Ok(tile)
    }

    pub(super) fn landmark_keys(&self) -> String {
        let keys: Vec<&str> = self
            .map
            .landmarks()
            .iter()
            .map(|l| l.key.as_str())
            .collect();
        keys.join(", ")
    }
}
