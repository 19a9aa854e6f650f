//! The village map, read with the `tiled` crate from the same Tiled files the server loads
//! (`assets/maps/village.tmx` and its tileset), built into the viewer so that the browser
//! build needs no file access. Plain data here; [`super::tilemap`] turns it into tiles.

use std::io::Cursor;
use std::path::Path;

use tiled::{LayerType, Loader, ResourceReader};

const MAP_TMX: &[u8] = include_bytes!("../../../assets/maps/village.tmx");
const TILESET_TSX: &[u8] = include_bytes!("../../../assets/tilesets/village.tsx");
/// The tileset's image, 8 columns of 16×16 tiles.
pub const TILESET_PNG: &[u8] = include_bytes!("../../../assets/tilesets/village.png");
/// The map's path as the server names it in `MapInfo::file`.
pub const MAP_FILE: &str = "maps/village.tmx";

/// One tile layer: row-major from the top row (Tiled's order), the tileset index of each
/// tile or None for an empty cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TileLayer {
    pub name: String,
    pub tiles: Vec<Option<u32>>,
}

/// The map as the viewer draws it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapData {
    pub width: u32,
    pub height: u32,
    pub tile_width: u32,
    pub tile_height: u32,
    pub layers: Vec<TileLayer>,
}

/// Serves the embedded files to `tiled` by file name.
struct Embedded;

impl ResourceReader for Embedded {
    type Resource = Cursor<&'static [u8]>;
    type Error = std::io::Error;

    fn read_from(&mut self, path: &Path) -> Result<Self::Resource, Self::Error> {
        match path.file_name().and_then(|n| n.to_str()) {
            Some("village.tmx") => Ok(Cursor::new(MAP_TMX)),
            Some("village.tsx") => Ok(Cursor::new(TILESET_TSX)),
            _ => Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("{} is not built into the viewer", path.display()),
            )),
        }
    }
}

/// Parses the built-in map.
pub fn load_map() -> Result<MapData, String> {
    let map = Loader::with_reader(Embedded)
        .load_tmx_map(MAP_FILE)
        .map_err(|e| format!("{MAP_FILE}: {e}"))?;
    let (width, height) = (map.width, map.height);
    let mut layers = Vec::new();
    for layer in map.layers() {
        let LayerType::Tiles(tiles) = layer.layer_type() else {
            continue;
        };
        let mut cells = Vec::with_capacity((width * height) as usize);
        for y in 0..height as i32 {
            for x in 0..width as i32 {
                cells.push(tiles.get_tile(x, y).map(|t| t.id()));
            }
        }
        layers.push(TileLayer {
            name: layer.name.clone(),
            tiles: cells,
        });
    }
    Ok(MapData {
        width,
        height,
        tile_width: map.tile_width,
        tile_height: map.tile_height,
        layers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_map_loads_with_its_ground_layer() {
        // The embedded files parse, and the ground layer covers every cell of the 48×32 map.
        let map = load_map().unwrap();
        assert_eq!((map.width, map.height, map.tile_width), (48, 32, 16));
        let ground = &map.layers[0];
        assert_eq!(ground.tiles.len(), 48 * 32);
        assert!(ground.tiles.iter().all(Option::is_some), "ground has holes");
        // Tileset ids are within its 24 tiles.
        assert!(
            map.layers
                .iter()
                .flat_map(|l| &l.tiles)
                .flatten()
                .all(|&id| id < 24)
        );
    }
}
