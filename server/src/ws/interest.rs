//! The viewport interest filter of `WS /ws/world`: what one client that sent
//! `ClientMsg::Viewport` gets of each tick's delta.
//!
//! Pure data in, data out: no sockets, no world task. The filter keeps a [`WorldMirror`] of the
//! whole world (fed every unfiltered delta) and the set of agents the client has been told
//! about, and turns each unfiltered delta into the client's share of it: agents that come into
//! the interest area arrive in `spawned` with their whole view, agents that leave it (or the
//! world) in `despawned`, moves and status changes only of told agents inside, speech only from
//! inside, and every event. It must not drop a tick: every delta gives exactly one filtered one.

use std::collections::HashSet;

use shared::world::TileRect;
use shared::{AgentId, Delta, MirrorError, Snapshot, WorldMirror};
use thiserror::Error;

/// Why a viewport was refused (sent to the client as `Error { code: "bad_viewport" }`).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ViewportError {
    #[error("a viewport must be at least one tile wide and high, got {w}x{h}")]
    Empty { w: u16, h: u16 },
    #[error("a viewport may be at most {max}x{max} tiles, got {w}x{h}")]
    TooBig { w: u16, h: u16, max: u16 },
    #[error("the viewport at ({x}, {y}) lies entirely off the {width}x{height} map")]
    OffMap {
        x: u16,
        y: u16,
        width: u16,
        height: u16,
    },
}

/// The tiles a client is sent: `area` widened by `margin_tiles` on every side and clamped to a
/// `map_width` x `map_height` map. Refuses an empty area, one with a side over `tiles_max`, and
/// one that lies entirely off the map.
pub fn interest_area(
    area: TileRect,
    margin_tiles: u16,
    map_width: u16,
    map_height: u16,
    tiles_max: u16,
) -> Result<TileRect, ViewportError> {
    let TileRect { x, y, w, h } = area;
    if w == 0 || h == 0 {
        return Err(ViewportError::Empty { w, h });
    }
    if w > tiles_max || h > tiles_max {
        return Err(ViewportError::TooBig {
            w,
            h,
            max: tiles_max,
        });
    }
    if x >= map_width || y >= map_height {
        return Err(ViewportError::OffMap {
            x,
            y,
            width: map_width,
            height: map_height,
        });
    }
    let widen = |start: u16, len: u16, limit: u16| -> (u16, u16) {
        let from = start.saturating_sub(margin_tiles);
        let end = (u32::from(start) + u32::from(len) + u32::from(margin_tiles)).min(limit.into());
        // `from < limit` (start is on the map) and `end <= limit`, so this fits in a u16.
        (from, (end - u32::from(from)) as u16)
    };
    let (x, w) = widen(x, w, map_width);
    let (y, h) = widen(y, h, map_height);
    Ok(TileRect { x, y, w, h })
}

/// One filtered client: the whole world as the stream told the server, the client's interest
/// area, and the agents the client knows about.
#[derive(Debug, Clone)]
pub struct ViewportFilter {
    mirror: WorldMirror,
    area: TileRect,
    told: HashSet<AgentId>,
    /// Set when the area changed: the next delta compares every agent with it, not only those
    /// that moved or spawned.
    sweep: bool,
}

impl ViewportFilter {
    /// A filter for a client that was sent (or has caught up to) the whole `snapshot`: every
    /// agent in it counts as told, and the next delta brings the client to `area`.
    pub fn after_full_snapshot(snapshot: Snapshot, area: TileRect) -> Self {
        let mirror = WorldMirror::from_snapshot(snapshot);
        let told = mirror.agents.keys().copied().collect();
        Self {
            mirror,
            area,
            told,
            sweep: true,
        }
    }

    /// A filter starting from `snapshot` (a resync), and the snapshot the client is sent: the
    /// same with only the agents inside `area`.
    pub fn from_snapshot(snapshot: Snapshot, area: TileRect) -> (Self, Snapshot) {
        let mut sent = snapshot.clone();
        sent.agents.retain(|agent| area.contains(agent.pos));
        let told = sent.agents.iter().map(|agent| agent.id).collect();
        let filter = Self {
            mirror: WorldMirror::from_snapshot(snapshot),
            area,
            told,
            sweep: false,
        };
        (filter, sent)
    }

    /// The interest area in force.
    pub fn area(&self) -> TileRect {
        self.area
    }

    /// The last tick the filter has seen.
    pub fn tick(&self) -> shared::Tick {
        self.mirror.tick
    }

    /// Moves the interest area; the next filtered delta brings the client to it.
    pub fn set_area(&mut self, area: TileRect) {
        if area != self.area {
            self.area = area;
            self.sweep = true;
        }
    }

    /// The client's share of `delta`. `None` when the delta is at or before the tick the filter
    /// started from: the client has not had it yet, and gets it whole (the filter's state
    /// already includes it). A delta that skips a tick is refused: the client needs a resync.
    pub fn filter(&mut self, delta: &Delta) -> Result<Option<Delta>, MirrorError> {
        if delta.tick <= self.mirror.tick {
            return Ok(None);
        }
        self.mirror.apply(delta)?;
        let mut out = Delta::empty(delta.tick);
        for id in &delta.despawned {
            if self.told.remove(id) {
                out.despawned.push(*id);
            }
        }
        // Moves and status changes of agents the client knew before this tick and that are
        // still inside; those coming in this tick arrive whole in `spawned` below.
        out.moved = delta
            .moved
            .iter()
            .filter(|step| self.told.contains(&step.id) && self.area.contains(step.pos))
            .copied()
            .collect();
        out.status = delta
            .status
            .iter()
            .filter(|change| self.told.contains(&change.id) && self.is_inside(change.id))
            .cloned()
            .collect();
        if self.sweep {
            self.sweep = false;
            let gone: Vec<AgentId> = self
                .told
                .iter()
                .filter(|id| !self.mirror.agents.contains_key(id))
                .copied()
                .collect();
            for id in gone {
                self.told.remove(&id);
                out.despawned.push(id);
            }
            let mut all: Vec<AgentId> = self.mirror.agents.keys().copied().collect();
            all.sort_unstable();
            self.cross(all, &mut out);
        } else {
            let candidates = delta
                .moved
                .iter()
                .map(|step| step.id)
                .chain(delta.spawned.iter().map(|view| view.id));
            self.cross(candidates, &mut out);
        }
        out.speech = delta
            .speech
            .iter()
            .filter(|line| self.area.contains(line.pos))
            .cloned()
            .collect();
        out.events.clone_from(&delta.events);
        Ok(Some(out))
    }

    /// Tells the client about each of `ids` that crossed the area's edge: in with its whole
    /// view, out by id.
    fn cross(&mut self, ids: impl IntoIterator<Item = AgentId>, out: &mut Delta) {
        for id in ids {
            let Some(view) = self.mirror.agents.get(&id) else {
                continue;
            };
            let inside = self.area.contains(view.pos);
            let told = self.told.contains(&id);
            if inside && !told {
                self.told.insert(id);
                out.spawned.push(view.clone());
            } else if !inside && told {
                self.told.remove(&id);
                out.despawned.push(id);
            }
        }
    }

    fn is_inside(&self, id: AgentId) -> bool {
        self.mirror
            .agents
            .get(&id)
            .is_some_and(|view| self.area.contains(view.pos))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::protocol::{Moved, Speech, StatusChange, VillageEvent};
    use shared::{Activity, AgentStatus, AgentView, Facing, Tick, TilePos};

    fn view(id: u64, x: u16, y: u16) -> AgentView {
        shared::fixtures::agent_view(id, x, y)
    }

    fn snapshot(agents: Vec<AgentView>) -> Snapshot {
        shared::fixtures::snapshot(10, agents)
    }

    fn rect(x: u16, y: u16, w: u16, h: u16) -> TileRect {
        TileRect { x, y, w, h }
    }

    fn step(id: u64, x: u16, y: u16) -> Moved {
        Moved {
            id: AgentId(id),
            pos: TilePos::new(x, y),
            facing: Facing::East,
        }
    }

    fn ids(delta: &Delta) -> (Vec<u64>, Vec<u64>, Vec<u64>) {
        let mut spawned: Vec<u64> = delta.spawned.iter().map(|v| v.id.0).collect();
        let mut despawned: Vec<u64> = delta.despawned.iter().map(|id| id.0).collect();
        let mut moved: Vec<u64> = delta.moved.iter().map(|m| m.id.0).collect();
        spawned.sort_unstable();
        despawned.sort_unstable();
        moved.sort_unstable();
        (spawned, despawned, moved)
    }

    #[test]
    fn the_interest_area_is_widened_clamped_and_checked() {
        // The margin widens every side, the map's edges clamp it, and empty, oversized and
        // off-map viewports are refused with their reason.
        assert_eq!(
            interest_area(rect(10, 10, 5, 5), 4, 48, 32, 256),
            Ok(rect(6, 6, 13, 13))
        );
        assert_eq!(
            interest_area(rect(1, 2, 5, 5), 4, 48, 32, 256),
            Ok(rect(0, 0, 10, 11))
        );
        assert_eq!(
            interest_area(rect(40, 28, 100, 100), 4, 48, 32, 256),
            Ok(rect(36, 24, 12, 8))
        );
        assert_eq!(
            interest_area(rect(0, 0, u16::MAX, 1), 4, u16::MAX, 32, u16::MAX),
            Ok(rect(0, 0, u16::MAX, 5))
        );
        assert_eq!(
            interest_area(rect(3, 3, 0, 5), 4, 48, 32, 256),
            Err(ViewportError::Empty { w: 0, h: 5 })
        );
        assert!(matches!(
            interest_area(rect(0, 0, 257, 10), 4, 48, 32, 256),
            Err(ViewportError::TooBig { .. })
        ));
        assert!(matches!(
            interest_area(rect(48, 0, 5, 5), 4, 48, 32, 256),
            Err(ViewportError::OffMap { .. })
        ));
        assert!(matches!(
            interest_area(rect(0, 32, 5, 5), 4, 48, 32, 256),
            Err(ViewportError::OffMap { .. })
        ));
    }

    #[test]
    fn the_first_filtered_delta_brings_a_fully_told_client_to_its_area() {
        // After the whole snapshot, the first delta despawns every agent outside the area and
        // moves only those inside; events pass whatever the area.
        let world = snapshot(vec![view(1, 2, 2), view(2, 30, 20), view(3, 4, 4)]);
        let mut filter = ViewportFilter::after_full_snapshot(world, rect(0, 0, 10, 10));
        let mut delta = Delta::empty(Tick(11));
        delta.moved = vec![step(1, 3, 2), step(2, 31, 20)];
        delta.events.push(VillageEvent::BoardModerated {
            post_id: shared::PostId(1),
            status: shared::PostStatus::Open,
        });
        let out = filter.filter(&delta).unwrap().unwrap();
        assert_eq!(out.tick, Tick(11));
        assert_eq!(ids(&out), (vec![], vec![2], vec![1]));
        assert_eq!(out.events, delta.events);
    }

    #[test]
    fn agents_crossing_the_edge_spawn_and_despawn_and_only_inside_news_passes() {
        // From a filtered snapshot: an agent walking in arrives whole (current position and
        // tier, not as a move), one walking out is despawned, a world spawn outside is not
        // sent, speech and status only from inside; nothing else leaks.
        let world = snapshot(vec![
            view(1, 2, 2),
            view(2, 11, 5),
            view(3, 9, 9),
            view(4, 40, 30),
        ]);
        let (mut filter, sent) = ViewportFilter::from_snapshot(world, rect(0, 0, 10, 10));
        let sent_ids: Vec<u64> = sent.agents.iter().map(|a| a.id.0).collect();
        assert_eq!(sent_ids, vec![1, 3]);

        let mut tier = Delta::empty(Tick(11));
        tier.events.push(VillageEvent::TierChanged {
            agent: AgentId(2),
            from: "seedling".into(),
            to: "worker".into(),
            reason: "reward".into(),
        });
        assert_eq!(filter.filter(&tier).unwrap().unwrap().events, tier.events);

        let mut delta = Delta::empty(Tick(12));
        delta.moved = vec![step(2, 9, 5), step(3, 10, 9), step(1, 2, 3)];
        delta.spawned = vec![view(5, 45, 30), view(6, 1, 1)];
        delta.speech = vec![
            Speech {
                id: AgentId(1),
                pos: TilePos::new(2, 3),
                text: "hello".into(),
            },
            Speech {
                id: AgentId(4),
                pos: TilePos::new(40, 30),
                text: "far away".into(),
            },
        ];
        delta.status = vec![
            StatusChange {
                id: AgentId(1),
                status: AgentStatus::Online,
                activity: Activity::idle(),
            },
            StatusChange {
                id: AgentId(4),
                status: AgentStatus::Online,
                activity: Activity::idle(),
            },
        ];
        let out = filter.filter(&delta).unwrap().unwrap();
        assert_eq!(ids(&out), (vec![2, 6], vec![3], vec![1]));
        let walked_in = out.spawned.iter().find(|v| v.id == AgentId(2)).unwrap();
        assert_eq!(walked_in.pos, TilePos::new(9, 5));
        assert_eq!(walked_in.tier, "worker");
        assert_eq!(out.speech.len(), 1);
        assert_eq!(out.speech[0].text, "hello");
        assert_eq!(out.status.len(), 1);
        assert_eq!(out.status[0].id, AgentId(1));

        let mut gone = Delta::empty(Tick(13));
        gone.despawned = vec![AgentId(1), AgentId(4)];
        let out = filter.filter(&gone).unwrap().unwrap();
        assert_eq!(ids(&out), (vec![], vec![1], vec![]));
        assert!(
            filter
                .filter(&Delta::empty(Tick(14)))
                .unwrap()
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn panning_swaps_the_agents_on_the_next_delta() {
        // A new area despawns the told agents now outside it and spawns those now inside,
        // even though none of them moved.
        let world = snapshot(vec![view(1, 2, 2), view(2, 30, 20)]);
        let (mut filter, _) = ViewportFilter::from_snapshot(world, rect(0, 0, 10, 10));
        filter.set_area(rect(25, 15, 10, 10));
        let out = filter.filter(&Delta::empty(Tick(11))).unwrap().unwrap();
        assert_eq!(ids(&out), (vec![2], vec![1], vec![]));
        let out = filter.filter(&Delta::empty(Tick(12))).unwrap().unwrap();
        assert!(out.is_empty());
    }

    #[test]
    fn old_deltas_pass_whole_and_gaps_are_refused() {
        // A delta at or before the filter's start goes to the client as it is; one that skips
        // a tick is an error.
        let world = snapshot(vec![view(1, 2, 2)]);
        let mut filter = ViewportFilter::after_full_snapshot(world, rect(0, 0, 10, 10));
        assert_eq!(filter.filter(&Delta::empty(Tick(9))), Ok(None));
        assert_eq!(filter.filter(&Delta::empty(Tick(10))), Ok(None));
        assert_eq!(
            filter.filter(&Delta::empty(Tick(12))),
            Err(MirrorError::Gap { have: 10, got: 12 })
        );
        assert_eq!(filter.tick(), Tick(10));
    }
}
