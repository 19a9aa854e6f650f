//! Movement: validating a move request, planning its path, and walking every walker one tile
//! per tick, waiting or re-planning when another agent is in the way.

use shared::api::{MovePlan, MoveRequest};
use shared::protocol::Moved;
use shared::{Activity, ActivityKind, AgentId, Facing, TilePos};

use super::agent_state::Goal;
use super::error::WorldError;
use super::pathing::{Search, Target, plan_path};
use super::state::World;

impl World {
    /// Whether `area` has a walkable tile that no agent but `me` stands on.
    fn has_free_tile(&self, area: shared::TileRect, me: AgentId) -> bool {
        (area.y..area.y.saturating_add(area.h)).any(|y| {
            (area.x..area.x.saturating_add(area.w)).any(|x| {
                let tile = TilePos::new(x, y);
                x < self.map.width()
                    && y < self.map.height()
                    && self.map.is_walkable(tile)
                    && !matches!(self.occupancy[self.map.index(tile)], Some(o) if o != me)
            })
        })
    }

    /// Validates a move and starts the walk; the agent takes its first step at the next tick.
    pub fn request_move(
        &mut self,
        id: AgentId,
        target: MoveRequest,
        now_ms: i64,
    ) -> Result<MovePlan, WorldError> {
        let slot = self.slot(id)?;
        let agent = &self.agents[slot];
        if !agent.view.status.may_act() {
            return Err(WorldError::NotAllowed(agent.view.status));
        }
        let from = agent.pos();
        let (goal, path_target) = match target {
            MoveRequest::Offset { dx, dy } => {
                // Saturating: an offset near the ends of i64 lands far off the map, never
                // overflows (a client number meeting a coordinate).
                let x = i64::from(from.x).saturating_add(dx);
                let y = i64::from(from.y).saturating_add(dy);
                let tile = self.checked_tile(x, y)?;
                (Goal::Tile(tile), Target::Tile(tile))
            }
            MoveRequest::Tile { x, y } => {
                let tile = self.checked_tile(x, y)?;
                (Goal::Tile(tile), Target::Tile(tile))
            }
            MoveRequest::Landmark { landmark: key } => {
                let landmark =
                    self.map
                        .landmark(&key)
                        .ok_or_else(|| WorldError::UnknownLandmark {
                            known: self.landmark_keys(),
                            key: key.clone(),
                        })?;
                let area = landmark.area;
                if !self.has_free_tile(area, id) {
                    return Err(WorldError::LandmarkFull { key });
                }
                (Goal::Landmark(key), Target::Area(area))
            }
        };
        let path = self
            .plan(
                from,
                id,
                path_target,
                None,
                self.limits.path_search_nodes_max,
            )
            .path
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
            // Already there: a walk in progress ends here.
            agent.goal = None;
            agent.path.clear();
            if agent.view.activity.kind == ActivityKind::Walking {
                self.set_activity(slot, self.idle_here(slot));
            }
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
    /// taken waits; every `replan_after_blocked_ticks` it plans around the agents near it (while
    /// the tick's `replan_nodes_per_tick_max` lasts), and after `give_up_after_blocked_ticks` it
    /// stops where it is.
    pub(super) fn step_walkers(&mut self) {
        let mut nodes_left = self.limits.replan_nodes_per_tick_max;
        let replan_every = self.limits.replan_after_blocked_ticks.max(1);
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
            let blocked = agent.blocked_ticks;
            if blocked >= self.limits.give_up_after_blocked_ticks {
                self.stop_walking(slot);
                self.set_activity(slot, self.idle_here(slot));
            } else if blocked.is_multiple_of(replan_every) && nodes_left > 0 {
                nodes_left = nodes_left.saturating_sub(self.replan(slot, nodes_left));
            }
        }
    }

    /// Idle, on the landmark the agent stands on (if any).
    pub(super) fn idle_here(&self, slot: usize) -> Activity {
        Activity {
            kind: ActivityKind::Idle,
            landmark: self
                .map
                .landmark_at(self.agents[slot].pos())
                .map(|l| l.key.clone()),
            detail: None,
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

    /// Plans a fresh path for a blocked walker around the agents near it, expanding at most
    /// `nodes_max` tiles; returns how many it expanded. Without a path it keeps waiting.
    fn replan(&mut self, slot: usize, nodes_max: usize) -> usize {
        let agent = &self.agents[slot];
        let (id, from) = (agent.id(), agent.pos());
        let target = match &agent.goal {
            Some(Goal::Tile(t)) => Target::Tile(*t),
            Some(Goal::Landmark(key)) => match self.map.landmark(key) {
                Some(l) => Target::Area(l.area),
                None => return 0,
            },
            None => return 0,
        };
        let radius = Some(u32::from(self.limits.replan_avoid_radius_tiles));
        let search = self.plan(from, id, target, radius, nodes_max);
        if let Some(path) = search.path {
            if path.is_empty() {
                self.stop_walking(slot);
            } else {
                self.agents[slot].path = path.into();
            }
        }
        search.expanded
    }

    /// Plans a path for agent `me`. With `avoid_within` other agents closer than that are in the
    /// way; without, agents are walked through (they will move). An area target always ends on
    /// a free tile.
    fn plan(
        &self,
        from: TilePos,
        me: AgentId,
        target: Target,
        avoid_within: Option<u32>,
        nodes_max: usize,
    ) -> Search {
        let occupied = |p: TilePos| matches!(self.occupancy[self.map.index(p)], Some(o) if o != me);
        let end_area = match target {
            Target::Area(area) => Some(area),
            Target::Tile(_) => None,
        };
        plan_path(
            &self.map,
            from,
            target,
            |p| {
                let near = avoid_within.is_some_and(|r| p.chebyshev(from) <= r);
                let at_end = end_area.is_some_and(|a| a.contains(p));
                (near || at_end) && occupied(p)
            },
            nodes_max,
        )
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
