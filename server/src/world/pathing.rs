//! A* path planning on the tile grid (the `pathfinding` crate), 4-neighbour, unit cost.
//!
//! Pure functions of the map and an "is this tile in the way" predicate; the world decides what
//! counts as in the way (nothing for a first plan, other agents for a re-plan).

use pathfinding::directed::astar::astar;
use shared::{TilePos, TileRect};

use super::map::TileMap;

/// Where a path must end.
#[derive(Debug, Clone, Copy)]
pub enum Target {
    /// Exactly this tile.
    Tile(TilePos),
    /// Any tile of the area that is not in the way.
    Area(TileRect),
}

/// The outcome of one search.
#[derive(Debug)]
pub struct Search {
    /// The path without its start; `None` when no path exists or the budget ran out.
    pub path: Option<Vec<TilePos>>,
    /// Tiles the search expanded (what it cost).
    pub expanded: usize,
}

/// Plans a path from `from` to `target`. `in_way` tiles are never entered (a `Tile` target is
/// entered even if it is in the way: its occupant may leave). The search gives up after
/// expanding `nodes_max` tiles.
pub fn plan_path(
    map: &TileMap,
    from: TilePos,
    target: Target,
    in_way: impl Fn(TilePos) -> bool,
    nodes_max: usize,
) -> Search {
    let mut expanded = 0usize;
    let successors = |p: &TilePos| {
        expanded += 1;
        let allowed = expanded <= nodes_max;
        map.walkable_neighbours(*p)
            .filter(|n| allowed && (!in_way(*n) || is_tile_target(target, *n)))
            .map(|n| (n, 1u32))
            .collect::<Vec<_>>()
    };
    let heuristic = |p: &TilePos| match target {
        Target::Tile(t) => p.manhattan(t),
        Target::Area(area) => manhattan_to_area(area, *p),
    };
    let success = |p: &TilePos| match target {
        Target::Tile(t) => *p == t,
        Target::Area(area) => area.contains(*p) && (*p == from || !in_way(*p)),
    };
    let found = astar(&from, successors, heuristic, success);
    let path = found.map(|(mut path, _cost)| {
        path.remove(0);
        path
    });
    Search {
        path,
        expanded: expanded.min(nodes_max),
    }
}

fn is_tile_target(target: Target, p: TilePos) -> bool {
    matches!(target, Target::Tile(t) if t == p)
}

/// Steps from `p` to the nearest tile of `area` ignoring obstacles (an admissible heuristic).
fn manhattan_to_area(area: TileRect, p: TilePos) -> u32 {
    let gap = |v: u16, start: u16, len: u16| {
        let end = start + len.saturating_sub(1);
        u32::from(start.saturating_sub(v)) + u32::from(v.saturating_sub(end))
    };
    gap(p.x, area.x, area.w) + gap(p.y, area.y, area.h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::MapInfo;

    /// A 7x5 map with a wall down column 3 except a gap at row 4.
    fn walled_map() -> TileMap {
        let (w, h) = (7u16, 5u16);
        let mut walkable = vec![true; usize::from(w * h)];
        for y in 0..4 {
            walkable[y * 7 + 3] = false;
        }
        let info = MapInfo {
            file: "test".into(),
            width: w,
            height: h,
            tile_width_px: 16,
            tile_height_px: 16,
        };
        TileMap::from_parts(info, walkable, vec![]).unwrap()
    }

    #[test]
    fn paths_go_around_walls_one_tile_at_a_time() {
        // The path walks through the gap, each step one tile to a walkable neighbour.
        let map = walled_map();
        let from = TilePos::new(0, 0);
        let to = TilePos::new(6, 0);
        let path = plan_path(&map, from, Target::Tile(to), |_| false, 1000)
            .path
            .unwrap();
        assert_eq!(path.last(), Some(&to));
        assert!(path.contains(&TilePos::new(3, 4)));
        let mut prev = from;
        for p in &path {
            assert_eq!(prev.manhattan(*p), 1);
            assert!(map.is_walkable(*p));
            prev = *p;
        }
    }

    #[test]
    fn blocked_gap_or_tiny_budget_means_no_path() {
        // With the only gap in the way, or too few nodes to search, there is no path.
        let map = walled_map();
        let target = Target::Tile(TilePos::new(6, 0));
        let gap = TilePos::new(3, 4);
        assert!(
            plan_path(&map, TilePos::new(0, 0), target, |p| p == gap, 1000)
                .path
                .is_none()
        );
        let starved = plan_path(&map, TilePos::new(0, 0), target, |_| false, 3);
        assert!(starved.path.is_none());
        assert_eq!(starved.expanded, 3);
    }

    #[test]
    fn area_targets_end_on_a_free_tile() {
        // An area goal ends on the nearest tile of the area that is not taken.
        let map = walled_map();
        let area = TileRect {
            x: 4,
            y: 0,
            w: 2,
            h: 1,
        };
        let taken = TilePos::new(4, 0);
        let path = plan_path(
            &map,
            TilePos::new(6, 0),
            Target::Area(area),
            |p| p == taken,
            1000,
        );
        assert_eq!(path.path.unwrap(), vec![TilePos::new(5, 0)]);
    }
}
