//! The static tile map: which tiles can be walked on and where the landmarks are.
//!
//! Loaded once at start from the Tiled files in `assets/maps/` (the viewer renders the same
//! files). A tile is walkable when no layer puts a tile with `blocked = true` on it. This module
//! only reads the map; it never knows about agents.

use std::collections::HashSet;
use std::path::Path;

use shared::{Landmark, MapInfo, TilePos, TileRect};
use thiserror::Error;
use tiled::{LayerType, Loader, ObjectShape, PropertyValue};

/// The largest map side, in tiles, the server accepts (so tile indices fit comfortably).
pub const MAP_SIDE_TILES_MAX: u32 = 4096;

/// Why a map could not be used.
#[derive(Debug, Error)]
pub enum MapError {
    #[error("could not read the Tiled map {path}: {source}")]
    Tiled {
        path: String,
        #[source]
        source: tiled::Error,
    },
    #[error("the map must be finite and orthogonal")]
    UnsupportedShape,
    #[error("the map is {width}x{height} tiles; each side must be 1..={MAP_SIDE_TILES_MAX}")]
    BadSize { width: u32, height: u32 },
    #[error("landmark {key:?}: {problem}")]
    BadLandmark { key: String, problem: String },
    #[error("the map has no walkable tile")]
    NothingWalkable,
}

/// The walkable grid and the landmarks of one map.
#[derive(Debug, Clone)]
pub struct TileMap {
    info: MapInfo,
    walkable: Vec<bool>,
    landmarks: Vec<Landmark>,
}

impl TileMap {
    /// Loads `assets_dir/file` (e.g. `maps/village.tmx`) with the `tiled` crate.
    pub fn load(assets_dir: &Path, file: &str) -> Result<TileMap, MapError> {
        let path = assets_dir.join(file);
        let map = Loader::new()
            .load_tmx_map(&path)
            .map_err(|source| MapError::Tiled {
                path: path.display().to_string(),
                source,
            })?;
        if map.infinite() || map.orientation != tiled::Orientation::Orthogonal {
            return Err(MapError::UnsupportedShape);
        }
        check_size(map.width, map.height)?;
        let (width, height) = (map.width as usize, map.height as usize);
        let mut walkable = vec![true; width * height];
        let mut landmarks = Vec::new();
        for layer in map.layers() {
            match layer.layer_type() {
                LayerType::Tiles(tiles) => {
                    for y in 0..height {
                        for x in 0..width {
                            let blocked = tiles
                                .get_tile(x as i32, y as i32)
                                .and_then(|t| t.get_tile())
                                .is_some_and(|tile| {
                                    matches!(
                                        tile.properties.get("blocked"),
                                        Some(PropertyValue::BoolValue(true))
                                    )
                                });
                            if blocked {
                                walkable[y * width + x] = false;
                            }
                        }
                    }
                }
                LayerType::Objects(objects) if layer.name == "landmarks" => {
                    for object in objects.objects() {
                        landmarks.push(landmark_from_object(
                            &object,
                            map.tile_width,
                            map.tile_height,
                        )?);
                    }
                }
                _ => {}
            }
        }
        let info = MapInfo {
            file: file.to_string(),
            width: map.width as u16,
            height: map.height as u16,
            tile_width_px: map.tile_width as u16,
            tile_height_px: map.tile_height as u16,
        };
        TileMap::from_parts(info, walkable, landmarks)
    }

    /// Builds a map from a walkable grid (row-major) and landmarks, checking that every landmark
    /// lies on walkable tiles inside the map and that keys are unique. Benches and tests use this
    /// to make maps of any size.
    pub fn from_parts(
        info: MapInfo,
        walkable: Vec<bool>,
        mut landmarks: Vec<Landmark>,
    ) -> Result<TileMap, MapError> {
        check_size(u32::from(info.width), u32::from(info.height))?;
        assert_eq!(
            walkable.len(),
            usize::from(info.width) * usize::from(info.height),
            "walkable grid must have width*height cells"
        );
        if !walkable.iter().any(|w| *w) {
            return Err(MapError::NothingWalkable);
        }
        let mut seen = HashSet::new();
        for landmark in &landmarks {
            let bad = |problem: &str| MapError::BadLandmark {
                key: landmark.key.clone(),
                problem: problem.to_string(),
            };
            if !seen.insert(landmark.key.clone()) {
                return Err(bad("the key is used twice"));
            }
            let area = landmark.area;
            if area.w == 0 || area.h == 0 {
                return Err(bad("the area is empty"));
            }
            if u32::from(area.x) + u32::from(area.w) > u32::from(info.width)
                || u32::from(area.y) + u32::from(area.h) > u32::from(info.height)
            {
                return Err(bad("the area reaches past the map edge"));
            }
            let w = usize::from(info.width);
            if area
                .tiles()
                .any(|p| !walkable[usize::from(p.y) * w + usize::from(p.x)])
            {
                return Err(bad("the area covers a blocked tile"));
            }
        }
        landmarks.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(TileMap {
            info,
            walkable,
            landmarks,
        })
    }

    pub fn info(&self) -> &MapInfo {
        &self.info
    }

    pub fn width(&self) -> u16 {
        self.info.width
    }

    pub fn height(&self) -> u16 {
        self.info.height
    }

    /// Landmarks sorted by key.
    pub fn landmarks(&self) -> &[Landmark] {
        &self.landmarks
    }

    pub fn landmark(&self, key: &str) -> Option<&Landmark> {
        self.landmarks
            .binary_search_by(|l| l.key.as_str().cmp(key))
            .ok()
            .map(|i| &self.landmarks[i])
    }

    /// The first landmark (by key) whose area holds `pos`.
    pub fn landmark_at(&self, pos: TilePos) -> Option<&Landmark> {
        self.landmarks.iter().find(|l| l.area.contains(pos))
    }

    /// The tile at signed coordinates, when they lie on the map.
    pub fn tile(&self, x: i64, y: i64) -> Option<TilePos> {
        let inside = (0..i64::from(self.info.width)).contains(&x)
            && (0..i64::from(self.info.height)).contains(&y);
        // Both fit in u16: they are below width/height, which are u16.
        inside.then(|| TilePos::new(x as u16, y as u16))
    }

    /// The row-major index of a tile; `pos` must be on the map.
    pub fn index(&self, pos: TilePos) -> usize {
        debug_assert!(pos.x < self.info.width && pos.y < self.info.height);
        usize::from(pos.y) * usize::from(self.info.width) + usize::from(pos.x)
    }

    pub fn tile_count(&self) -> usize {
        self.walkable.len()
    }

    pub fn is_walkable(&self, pos: TilePos) -> bool {
        pos.x < self.info.width && pos.y < self.info.height && self.walkable[self.index(pos)]
    }

    /// The walkable tiles next to `pos` (no diagonals), in a fixed order.
    pub fn walkable_neighbours(&self, pos: TilePos) -> impl Iterator<Item = TilePos> + '_ {
        let (x, y) = (i64::from(pos.x), i64::from(pos.y));
        [(x, y - 1), (x + 1, y), (x, y + 1), (x - 1, y)]
            .into_iter()
            .filter_map(|(x, y)| self.tile(x, y))
            .filter(|p| self.is_walkable(*p))
    }
}

fn check_size(width: u32, height: u32) -> Result<(), MapError> {
    let ok = |side: u32| (1..=MAP_SIDE_TILES_MAX).contains(&side);
    if ok(width) && ok(height) {
        Ok(())
    } else {
        Err(MapError::BadSize { width, height })
    }
}

fn landmark_from_object(
    object: &tiled::Object<'_>,
    tile_width: u32,
    tile_height: u32,
) -> Result<Landmark, MapError> {
    let key = object.name.clone();
    let bad = |problem: String| MapError::BadLandmark {
        key: key.clone(),
        problem,
    };
    let ObjectShape::Rect { width, height } = object.shape else {
        return Err(bad("must be a rectangle".into()));
    };
    let text = |name: &str| match object.properties.get(name) {
        Some(PropertyValue::StringValue(s)) if !s.is_empty() => Ok(s.clone()),
        _ => Err(bad(format!("needs a non-empty string property {name:?}"))),
    };
    let to_tiles = |px: f32, size: u32| {
        let tiles = px / size as f32;
        (tiles.fract() == 0.0 && tiles >= 0.0 && tiles <= MAP_SIDE_TILES_MAX as f32)
            .then_some(tiles as u16)
    };
    let area = match (
        to_tiles(object.x, tile_width),
        to_tiles(object.y, tile_height),
        to_tiles(width, tile_width),
        to_tiles(height, tile_height),
    ) {
        (Some(x), Some(y), Some(w), Some(h)) => TileRect { x, y, w, h },
        _ => return Err(bad("the rectangle is not aligned to whole tiles".into())),
    };
    if key.is_empty() {
        return Err(bad("needs a name (its key)".into()));
    }
    Ok(Landmark {
        label: text("label")?,
        kind: text("kind")?,
        key,
        area,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(w: u16, h: u16) -> MapInfo {
        MapInfo {
            file: "test".into(),
            width: w,
            height: h,
            tile_width_px: 16,
            tile_height_px: 16,
        }
    }

    #[test]
    fn landmarks_on_walls_or_off_the_map_are_refused() {
        // A landmark must cover walkable tiles inside the map, and keys must be unique.
        let mut walkable = vec![true; 16];
        walkable[5] = false; // (1, 1)
        let lm = |key: &str, x, y, w, h| Landmark {
            key: key.into(),
            label: key.into(),
            kind: "plaza".into(),
            area: TileRect { x, y, w, h },
        };
        let err = TileMap::from_parts(info(4, 4), walkable.clone(), vec![lm("a", 0, 0, 2, 2)]);
        assert!(matches!(err, Err(MapError::BadLandmark { .. })));
        let err = TileMap::from_parts(info(4, 4), walkable.clone(), vec![lm("a", 3, 3, 2, 1)]);
        assert!(matches!(err, Err(MapError::BadLandmark { .. })));
        let twice = vec![lm("a", 2, 2, 1, 1), lm("a", 3, 3, 1, 1)];
        assert!(TileMap::from_parts(info(4, 4), walkable.clone(), twice).is_err());
        let map = TileMap::from_parts(info(4, 4), walkable, vec![lm("a", 2, 2, 2, 2)]).unwrap();
        assert_eq!(map.landmark("a").unwrap().area.w, 2);
        assert!(!map.is_walkable(TilePos::new(1, 1)));
        assert_eq!(map.tile(4, 0), None);
        assert_eq!(map.tile(-1, 0), None);
    }
}
