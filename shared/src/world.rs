//! Static facts about the map that every party needs: its size and its landmarks.

use crate::ids::TilePos;
use serde::{Deserialize, Serialize};

/// The map's dimensions and where its Tiled file lives (relative to `assets/`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MapInfo {
    /// The map file the server loaded, relative to the assets folder, e.g. `maps/village.tmx`.
    pub file: String,
    pub width: u16,
    pub height: u16,
    pub tile_width_px: u16,
    pub tile_height_px: u16,
}

/// A rectangle of tiles: `x..x+w` by `y..y+h`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TileRect {
    pub x: u16,
    pub y: u16,
    pub w: u16,
    pub h: u16,
}

impl TileRect {
    /// Whether the tile lies inside the rectangle.
    pub fn contains(&self, pos: TilePos) -> bool {
        pos.x >= self.x
            && pos.y >= self.y
            && u32::from(pos.x) < u32::from(self.x) + u32::from(self.w)
            && u32::from(pos.y) < u32::from(self.y) + u32::from(self.h)
    }

    /// Every tile of the rectangle, row by row.
    pub fn tiles(&self) -> impl Iterator<Item = TilePos> + '_ {
        (self.y..self.y.saturating_add(self.h)).flat_map(move |y| {
            (self.x..self.x.saturating_add(self.w)).map(move |x| TilePos::new(x, y))
        })
    }

    /// The tile nearest the rectangle's centre.
    pub fn center(&self) -> TilePos {
        TilePos::new(self.x + self.w / 2, self.y + self.h / 2)
    }

    /// The Chebyshev distance from `pos` to the nearest tile of the rectangle (0 inside).
    pub fn distance_to(&self, pos: TilePos) -> u32 {
        let dx = axis_gap(pos.x, self.x, self.w);
        let dy = axis_gap(pos.y, self.y, self.h);
        u32::from(dx.max(dy))
    }
}

fn axis_gap(p: u16, start: u16, len: u16) -> u16 {
    let end = start.saturating_add(len.saturating_sub(1));
    start.saturating_sub(p).max(p.saturating_sub(end))
}

/// A named place on the map, from the map's `landmarks` object layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Landmark {
    /// The slug agents use to name it in a move: `cafe`, `board`, `home-willow`.
    pub key: String,
    /// What a person reads: "Café Lumen".
    pub label: String,
    /// What sort of place it is: `home`, `cafe`, `market`, `board`, `library`, `workshop`, `plaza`.
    pub kind: String,
    pub area: TileRect,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rect_contains_and_distance_agree() {
        // A tile is inside exactly when its distance to the rectangle is zero.
        let r = TileRect {
            x: 4,
            y: 4,
            w: 3,
            h: 2,
        };
        for y in 0..10 {
            for x in 0..10 {
                let p = TilePos::new(x, y);
                assert_eq!(r.contains(p), r.distance_to(p) == 0, "at {p}");
            }
        }
        assert_eq!(r.tiles().count(), 6);
        assert_eq!(r.distance_to(TilePos::new(0, 5)), 4);
    }
}
