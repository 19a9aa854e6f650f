//! The world: every agent, who stands where, and the delta being built for the current tick.
//!
//! Owned by exactly one task (see `task.rs`); nothing here is shared or locked. Methods take the
//! current time as an argument so tests and benches drive the world without a clock.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use shared::protocol::{StatusChange, VillageEvent};
use shared::{
    Activity, ActivityKind, AgentId, AgentStatus, AgentView, Delta, Snapshot, Tick, TilePos,
};

use super::agent_state::{AgentRecord, AgentState, PositionUpdate};
use super::error::WorldError;
use super::limits::WorldLimits;
use super::map::TileMap;

/// Events from beyond the tile world one tick may carry.
pub const EVENTS_PER_TICK_MAX: usize = 256;

/// The authoritative state of the village's tile world.
pub struct World {
    pub(super) map: Arc<TileMap>,
    pub(super) limits: WorldLimits,
    pub(super) tick: Tick,
    /// Agents in creation order; `index` maps an id to its slot.
    pub(super) agents: Vec<AgentState>,
    pub(super) index: HashMap<AgentId, usize>,
    /// Which agent stands on each tile (row-major).
    pub(super) occupancy: Vec<Option<AgentId>>,
    /// What has changed since the last tick ended.
    pub(super) pending: Delta,
    /// Agents whose position or status changed since the store last saw them.
    pub(super) dirty: HashSet<AgentId>,
}

impl World {
    pub fn new(map: Arc<TileMap>, limits: WorldLimits) -> Self {
        let tiles = map.tile_count();
        Self {
            map,
            limits,
            tick: Tick(0),
            agents: Vec::new(),
            index: HashMap::new(),
            occupancy: vec![None; tiles],
            pending: Delta::empty(Tick(1)),
            dirty: HashSet::new(),
        }
    }

    pub fn map(&self) -> &Arc<TileMap> {
        &self.map
    }

    pub fn limits(&self) -> &WorldLimits {
        &self.limits
    }

    /// The last completed tick.
    pub fn tick(&self) -> Tick {
        self.tick
    }

    pub fn agent_count(&self) -> usize {
        self.agents.len()
    }

    /// Places an agent in the world: at its saved position when that tile is free and walkable,
    /// otherwise on the free walkable tile nearest its home (or the saved position).
    pub fn spawn(&mut self, record: AgentRecord) -> Result<AgentView, WorldError> {
        let mut view = record.view;
        debug_assert!(
            !view.tier.is_empty(),
            "agent {} placed without its tier in force",
            view.id
        );
        if self.index.contains_key(&view.id) {
            return Err(WorldError::DuplicateAgent(view.id));
        }
        if self.agents.len() >= self.limits.agents_max {
            return Err(WorldError::Full(self.limits.agents_max));
        }
        let wanted = if record.has_position && self.map.is_walkable(view.pos) {
            view.pos
        } else {
            view.home
                .as_deref()
                .and_then(|home| self.map.landmark(home))
                .map(|l| l.area.center())
                .or_else(|| self.map.landmarks().first().map(|l| l.area.center()))
                .unwrap_or(TilePos::new(0, 0))
        };
        view.pos = self
            .nearest_free_tile(wanted)
            .ok_or(WorldError::NoFreeTile)?;
        if view.activity.kind == ActivityKind::Walking {
            // A walk does not survive a restart; the agent stands where it was saved.
            view.activity = Activity {
                kind: ActivityKind::Idle,
                landmark: self.map.landmark_at(view.pos).map(|l| l.key.clone()),
                detail: None,
            };
        }
        let slot = self.agents.len();
        let at = self.map.index(view.pos);
        self.occupancy[at] = Some(view.id);
        self.index.insert(view.id, slot);
        self.dirty.insert(view.id);
        self.pending.spawned.push(view.clone());
        self.agents.push(AgentState::new(view.clone()));
        Ok(view)
    }

    /// Removes an agent from the world (it stays in the store).
    pub fn despawn(&mut self, id: AgentId) -> Result<(), WorldError> {
        let slot = self.slot(id)?;
        let agent = self.agents.swap_remove(slot);
        let at = self.map.index(agent.pos());
        self.occupancy[at] = None;
        self.index.remove(&id);
        if let Some(moved) = self.agents.get(slot) {
            self.index.insert(moved.id(), slot);
        }
        self.dirty.remove(&id);
        self.pending.despawned.push(id);
        Ok(())
    }

    pub fn agent(&self, id: AgentId) -> Result<&AgentView, WorldError> {
        Ok(&self.agents[self.slot(id)?].view)
    }

    /// Every agent, in creation order.
    pub fn agents(&self) -> impl Iterator<Item = &AgentView> {
        self.agents.iter().map(|a| &a.view)
    }

    /// The whole world as of the last completed tick.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            tick: self.tick,
            map: self.map.info().clone(),
            landmarks: self.map.landmarks().to_vec(),
            agents: self.agents().cloned().collect(),
        }
    }

    /// Ends the current tick: walks every walker one step, marks quiet agents idle, checks the
    /// invariants (debug builds) and returns everything that changed since the previous tick.
    pub fn advance(&mut self, now_ms: i64) -> Delta {
        self.step_walkers();
        self.mark_idle(now_ms);
        #[cfg(debug_assertions)]
        self.assert_invariants();
        self.tick = self.tick.next();
        let next = Delta::empty(self.tick.next());
        std::mem::replace(&mut self.pending, next)
    }

    /// Adds an event from beyond the tile world (the board, the economy) to the current tick's
    /// delta. A `TierChanged` also sets that agent's view tier, so snapshots agree with it.
    /// Returns false, dropping it, when the tick already holds [`EVENTS_PER_TICK_MAX`] (the
    /// board's own stream still carries every change, and the tier is set all the same).
    pub fn push_event(&mut self, event: VillageEvent) -> bool {
        if let VillageEvent::TierChanged { agent, to, .. } = &event
            && let Some(slot) = self.index.get(agent)
        {
            self.agents[*slot].view.tier.clone_from(to);
        }
        if self.pending.events.len() >= EVENTS_PER_TICK_MAX {
            return false;
        }
        self.pending.events.push(event);
        true
    }

    /// Positions and statuses changed since the last call, for the write-behind store.
    pub fn take_dirty(&mut self) -> Vec<PositionUpdate> {
        let mut updates: Vec<PositionUpdate> = self
            .dirty
            .drain()
            .filter_map(|id| {
                self.index
                    .get(&id)
                    .map(|slot| self.agents[*slot].position_update())
            })
            .collect();
        updates.sort_by_key(|u| u.id);
        updates
    }

    /// Every agent's position and status, for the final save at shutdown.
    pub fn all_positions(&self) -> Vec<PositionUpdate> {
        self.agents
            .iter()
            .map(AgentState::position_update)
            .collect()
    }

    pub(super) fn slot(&self, id: AgentId) -> Result<usize, WorldError> {
        self.index
            .get(&id)
            .copied()
            .ok_or(WorldError::UnknownAgent(id))
    }

    pub(super) fn is_free(&self, pos: TilePos) -> bool {
        self.map.is_walkable(pos) && self.occupancy[self.map.index(pos)].is_none()
    }

    /// Records that an agent acted now: it is online, and its status change goes out.
    pub(super) fn touch(&mut self, slot: usize, now_ms: i64) {
        let agent = &mut self.agents[slot];
        agent.view.last_seen_ms = now_ms;
        if agent.view.status == AgentStatus::Idle {
            agent.view.status = AgentStatus::Online;
            self.note_status(slot);
        }
        self.dirty.insert(self.agents[slot].id());
    }

    /// Sets an agent's activity and announces it if it changed.
    pub(super) fn set_activity(&mut self, slot: usize, activity: Activity) {
        if self.agents[slot].view.activity != activity {
            self.agents[slot].view.activity = activity;
            self.note_status(slot);
        }
    }

    /// Queues a status change for the delta (replacing an earlier one in the same tick).
    pub(super) fn note_status(&mut self, slot: usize) {
        let agent = &self.agents[slot];
        let change = StatusChange {
            id: agent.id(),
            status: agent.view.status,
            activity: agent.view.activity.clone(),
        };
        self.dirty.insert(change.id);
        match self.pending.status.iter_mut().find(|c| c.id == change.id) {
            Some(existing) => *existing = change,
            None => self.pending.status.push(change),
        }
    }

    fn mark_idle(&mut self, now_ms: i64) {
        for slot in 0..self.agents.len() {
            let view = &self.agents[slot].view;
            let quiet = now_ms.saturating_sub(view.last_seen_ms) > self.limits.idle_after_ms;
            if view.status == AgentStatus::Online && quiet && self.agents[slot].path.is_empty() {
                self.agents[slot].view.status = AgentStatus::Idle;
                self.note_status(slot);
            }
        }
    }

    /// The free walkable tile nearest `start` by walking distance (breadth-first over walkable
    /// tiles, so it is always reachable from `start` when `start` is walkable).
    fn nearest_free_tile(&self, start: TilePos) -> Option<TilePos> {
        let start = if self.map.is_walkable(start) {
            start
        } else {
            // Pick the nearest walkable tile by straight distance, then search from there.
            (0..self.map.height())
                .flat_map(|y| (0..self.map.width()).map(move |x| TilePos::new(x, y)))
                .filter(|p| self.map.is_walkable(*p))
                .min_by_key(|p| (p.manhattan(start), *p))?
        };
        let mut seen = vec![false; self.map.tile_count()];
        let mut queue = VecDeque::from([start]);
        seen[self.map.index(start)] = true;
        while let Some(p) = queue.pop_front() {
            if self.is_free(p) {
                return Some(p);
            }
            for n in self.map.walkable_neighbours(p) {
                let i = self.map.index(n);
                if !seen[i] {
                    seen[i] = true;
                    queue.push_back(n);
                }
            }
        }
        None
    }

    /// Panics when a world invariant is broken: every agent on a walkable tile of the map, one
    /// agent per tile, ids unique, index and occupancy in agreement.
    pub fn assert_invariants(&self) {
        assert_eq!(
            self.index.len(),
            self.agents.len(),
            "agent ids must be unique"
        );
        let mut occupied = 0;
        for (slot, agent) in self.agents.iter().enumerate() {
            let pos = agent.pos();
            assert!(
                self.map.is_walkable(pos),
                "agent {} stands on a blocked tile {pos}",
                agent.id()
            );
            assert_eq!(
                self.index.get(&agent.id()),
                Some(&slot),
                "index out of date"
            );
            assert_eq!(
                self.occupancy[self.map.index(pos)],
                Some(agent.id()),
                "occupancy out of date"
            );
            occupied += 1;
        }
        let marked = self.occupancy.iter().filter(|o| o.is_some()).count();
        assert_eq!(marked, occupied, "occupancy marks a tile nobody stands on");
    }
}
