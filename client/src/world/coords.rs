//! Where a tile is on screen: the one conversion between the server's tile grid (Tiled's,
//! y down from the top row) and Bevy's world space (y up), used by the tilemap, sprites,
//! labels, picking and the viewport the viewer reports.
//!
//! Tile (x, y) has its centre at world (x * tile_w, (height - 1 - y) * tile_h): this matches
//! bevy_ecs_tilemap with `TilemapAnchor::None` at the origin and the rows flipped.

use bevy::math::Vec2;
use shared::{MapInfo, TilePos, TileRect};

/// The map's grid in world units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Grid {
    pub width: u16,
    pub height: u16,
    pub tile_w: f32,
    pub tile_h: f32,
}

impl Grid {
    pub fn of(map: &MapInfo) -> Self {
        Self {
            width: map.width,
            height: map.height,
            tile_w: f32::from(map.tile_width_px.max(1)),
            tile_h: f32::from(map.tile_height_px.max(1)),
        }
    }

    /// The world position of a tile's centre.
    pub fn center(&self, pos: TilePos) -> Vec2 {
        let flipped = f32::from(self.height) - 1.0 - f32::from(pos.y);
        Vec2::new(f32::from(pos.x) * self.tile_w, flipped * self.tile_h)
    }

    /// The tile under a world position, if it is on the map.
    pub fn tile_at(&self, world: Vec2) -> Option<TilePos> {
        let x = (world.x / self.tile_w + 0.5).floor();
        let flipped = (world.y / self.tile_h + 0.5).floor();
        let y = f32::from(self.height) - 1.0 - flipped;
        let on_map =
            (0.0..f32::from(self.width)).contains(&x) && (0.0..f32::from(self.height)).contains(&y);
        // In range and whole, so the casts are exact.
        on_map.then(|| TilePos::new(x as u16, y as u16))
    }

    /// The tiles covered by a world-space rectangle (e.g. what the camera sees), clamped to
    /// the map; None when it misses the map entirely.
    pub fn tiles_in(&self, min: Vec2, max: Vec2) -> Option<TileRect> {
        let clamp_x = |v: f32| {
            (v / self.tile_w + 0.5)
                .floor()
                .clamp(0.0, f32::from(self.width) - 1.0)
        };
        let clamp_y = |v: f32| {
            (f32::from(self.height) - 1.0 - (v / self.tile_h + 0.5).floor())
                .clamp(0.0, f32::from(self.height) - 1.0)
        };
        let half_w = self.tile_w / 2.0;
        let half_h = self.tile_h / 2.0;
        let map_max = self.center(TilePos::new(self.width.saturating_sub(1), 0));
        if max.x < -half_w
            || max.y < -half_h
            || min.x > map_max.x + half_w
            || min.y > map_max.y + half_h
        {
            return None;
        }
        let (x0, x1) = (clamp_x(min.x), clamp_x(max.x));
        let (y0, y1) = (clamp_y(max.y), clamp_y(min.y));
        // Clamped to the map's u16 bounds above.
        Some(TileRect {
            x: x0 as u16,
            y: y0 as u16,
            w: (x1 - x0) as u16 + 1,
            h: (y1 - y0) as u16 + 1,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> Grid {
        Grid {
            width: 48,
            height: 32,
            tile_w: 16.0,
            tile_h: 16.0,
        }
    }

    #[test]
    fn centres_and_picking_agree_on_every_tile() {
        // A tile's own centre, and points near its edges, pick that tile back.
        let g = grid();
        for y in 0..32 {
            for x in 0..48 {
                let pos = TilePos::new(x, y);
                let c = g.center(pos);
                assert_eq!(g.tile_at(c), Some(pos));
                assert_eq!(g.tile_at(c + Vec2::new(7.9, -7.9)), Some(pos));
            }
        }
        assert_eq!(g.center(TilePos::new(0, 31)), Vec2::ZERO);
        assert_eq!(g.tile_at(Vec2::new(-9.0, 0.0)), None);
        assert_eq!(g.tile_at(Vec2::new(0.0, 32.0 * 16.0)), None);
    }

    #[test]
    fn a_camera_rectangle_becomes_the_tiles_it_shows() {
        // The viewport sent to the server covers what is on screen, clamped to the map.
        let g = grid();
        let all = g
            .tiles_in(Vec2::splat(-1000.0), Vec2::splat(5000.0))
            .unwrap();
        assert_eq!((all.x, all.y, all.w, all.h), (0, 0, 48, 32));
        let a = g.center(TilePos::new(3, 10));
        let b = g.center(TilePos::new(7, 4));
        let part = g
            .tiles_in(Vec2::new(a.x, a.y), Vec2::new(b.x, b.y))
            .unwrap();
        assert_eq!((part.x, part.y, part.w, part.h), (3, 4, 5, 7));
        assert_eq!(g.tiles_in(Vec2::splat(-900.0), Vec2::splat(-100.0)), None);
    }
}
