//! A copy of the world rebuilt from the stream: a snapshot, then deltas applied in tick order.
//!
//! The viewer keeps one to draw from, and the server keeps one per viewport-filtered stream to
//! know which agents a client has been told about. It holds only what the stream says; it never
//! guesses, and a delta that does not follow the last one it applied is refused, not merged.

use std::collections::HashMap;

use thiserror::Error;

use crate::agent::AgentView;
use crate::ids::{AgentId, Tick};
use crate::protocol::{Delta, Snapshot, VillageEvent};
use crate::world::{Landmark, MapInfo};

/// Why a delta could not be applied; the holder should ask for (or wait for) a fresh snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MirrorError {
    #[error("delta for tick {got} does not follow tick {have}: ticks were missed")]
    Gap { have: u64, got: u64 },
}

/// What applying one delta changed, for a holder that keeps something per agent (sprites).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// Agents that moved this tick (already known before it).
    pub moved: Vec<AgentId>,
    /// Agents new to the mirror.
    pub spawned: Vec<AgentId>,
    /// Agents gone from the mirror.
    pub despawned: Vec<AgentId>,
    /// Agents whose status, activity or tier changed.
    pub changed: Vec<AgentId>,
}

/// The world as a stream's receiver knows it.
#[derive(Debug, Clone, PartialEq)]
pub struct WorldMirror {
    pub tick: Tick,
    pub map: MapInfo,
    pub landmarks: Vec<Landmark>,
    pub agents: HashMap<AgentId, AgentView>,
}

impl WorldMirror {
    /// A mirror of exactly what `snapshot` shows.
    pub fn from_snapshot(snapshot: Snapshot) -> Self {
        Self {
            tick: snapshot.tick,
            map: snapshot.map,
            landmarks: snapshot.landmarks,
            agents: snapshot
                .agents
                .into_iter()
                .map(|agent| (agent.id, agent))
                .collect(),
        }
    }

    /// Applies one delta. A delta at or before the mirror's tick is old news and changes
    /// nothing; one that skips a tick is refused with [`MirrorError::Gap`].
    pub fn apply(&mut self, delta: &Delta) -> Result<Applied, MirrorError> {
        if delta.tick <= self.tick {
            return Ok(Applied::default());
        }
        if delta.tick.0 != self.tick.0 + 1 {
            return Err(MirrorError::Gap {
                have: self.tick.0,
                got: delta.tick.0,
            });
        }
        let mut applied = Applied::default();
        for id in &delta.despawned {
            if self.agents.remove(id).is_some() {
                applied.despawned.push(*id);
            }
        }
        for view in &delta.spawned {
            if self.agents.insert(view.id, view.clone()).is_none() {
                applied.spawned.push(view.id);
            } else {
                applied.changed.push(view.id);
            }
        }
        for step in &delta.moved {
            if let Some(agent) = self.agents.get_mut(&step.id) {
                agent.pos = step.pos;
                agent.facing = step.facing;
                applied.moved.push(step.id);
            }
        }
        for change in &delta.status {
            if let Some(agent) = self.agents.get_mut(&change.id) {
                agent.status = change.status;
                agent.activity = change.activity.clone();
                applied.changed.push(change.id);
            }
        }
        for event in &delta.events {
            if let VillageEvent::TierChanged { agent, to, .. } = event
                && let Some(view) = self.agents.get_mut(agent)
            {
                view.tier.clone_from(to);
                applied.changed.push(*agent);
            }
        }
        self.tick = delta.tick;
        Ok(applied)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::{Activity, ActivityKind, AgentStatus, Facing};
    use crate::ids::TilePos;
    use crate::protocol::{Moved, StatusChange};

    fn view(id: u64, x: u16, y: u16) -> AgentView {
        crate::fixtures::agent_view(id, x, y)
    }

    fn mirror() -> WorldMirror {
        WorldMirror::from_snapshot(crate::fixtures::snapshot(
            10,
            vec![view(1, 2, 2), view(2, 5, 5)],
        ))
    }

    #[test]
    fn deltas_move_spawn_despawn_and_retier_agents() {
        // Each kind of change in a delta lands on the mirror and is reported once.
        let mut m = mirror();
        let mut delta = Delta::empty(Tick(11));
        delta.moved.push(Moved {
            id: AgentId(1),
            pos: TilePos::new(3, 2),
            facing: Facing::East,
        });
        delta.spawned.push(view(3, 9, 9));
        delta.despawned.push(AgentId(2));
        delta.status.push(StatusChange {
            id: AgentId(1),
            status: AgentStatus::Online,
            activity: Activity {
                kind: ActivityKind::Walking,
                landmark: None,
                detail: None,
            },
        });
        delta.events.push(VillageEvent::TierChanged {
            agent: AgentId(3),
            from: "seedling".into(),
            to: "worker".into(),
            reason: "reward".into(),
        });
        let applied = m.apply(&delta).unwrap();
        assert_eq!(applied.moved, vec![AgentId(1)]);
        assert_eq!(applied.spawned, vec![AgentId(3)]);
        assert_eq!(applied.despawned, vec![AgentId(2)]);
        assert_eq!(m.tick, Tick(11));
        assert_eq!(m.agents[&AgentId(1)].pos, TilePos::new(3, 2));
        assert_eq!(m.agents[&AgentId(1)].facing, Facing::East);
        assert_eq!(m.agents[&AgentId(1)].status, AgentStatus::Online);
        assert_eq!(m.agents[&AgentId(3)].tier, "worker");
        assert!(!m.agents.contains_key(&AgentId(2)));
    }

    #[test]
    fn old_deltas_are_ignored_and_gaps_refused() {
        // A repeated tick changes nothing; a skipped tick is an error and changes nothing.
        let mut m = mirror();
        let before = m.clone();
        let mut stale = Delta::empty(Tick(10));
        stale.despawned.push(AgentId(1));
        assert_eq!(m.apply(&stale), Ok(Applied::default()));
        let mut skipped = Delta::empty(Tick(12));
        skipped.despawned.push(AgentId(1));
        assert_eq!(
            m.apply(&skipped),
            Err(MirrorError::Gap { have: 10, got: 12 })
        );
        assert_eq!(m, before);
    }

    #[test]
    fn moves_of_unknown_agents_are_dropped() {
        // A step for an agent the mirror never saw does not invent one.
        let mut m = mirror();
        let mut delta = Delta::empty(Tick(11));
        delta.moved.push(Moved {
            id: AgentId(99),
            pos: TilePos::new(1, 1),
            facing: Facing::North,
        });
        assert!(m.apply(&delta).unwrap().moved.is_empty());
        assert!(!m.agents.contains_key(&AgentId(99)));
    }
}
