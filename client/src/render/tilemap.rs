//! Draws the village map with bevy_ecs_tilemap: one tilemap per Tiled tile layer, stacked in
//! layer order below everything else, rows flipped so that tile (x, y) sits where
//! [`crate::world::coords::Grid::center`] says.

use bevy::asset::RenderAssetUsages;
use bevy::image::{CompressedImageFormats, ImageSampler, ImageType};
use bevy::prelude::*;
use bevy_ecs_tilemap::prelude::*;

use super::map_data;

pub(super) fn plugin(app: &mut App) {
    app.add_plugins(TilemapPlugin)
        .add_systems(Startup, spawn_tilemaps);
}

fn spawn_tilemaps(mut commands: Commands, mut images: ResMut<Assets<Image>>) {
    let map = match map_data::load_map() {
        Ok(map) => map,
        Err(error) => {
            error!("the built-in map did not load: {error}");
            return;
        }
    };
    let image = match Image::from_buffer(
        map_data::TILESET_PNG,
        ImageType::Extension("png"),
        CompressedImageFormats::NONE,
        true,
        ImageSampler::nearest(),
        RenderAssetUsages::default(),
    ) {
        Ok(image) => image,
        Err(error) => {
            error!("the built-in tileset did not decode: {error}");
            return;
        }
    };
    let texture = images.add(image);
    let size = TilemapSize {
        x: map.width,
        y: map.height,
    };
    let tile_size = TilemapTileSize {
        x: map.tile_width as f32,
        y: map.tile_height as f32,
    };
    for (depth, layer) in map.layers.iter().enumerate() {
        let tilemap = commands.spawn_empty().id();
        let mut storage = TileStorage::empty(size);
        for (i, cell) in layer.tiles.iter().enumerate() {
            let Some(index) = cell else { continue };
            let x = i as u32 % map.width;
            let row = i as u32 / map.width;
            let position = TilePos {
                x,
                y: map.height - 1 - row,
            };
            let tile = commands
                .spawn(TileBundle {
                    position,
                    tilemap_id: TilemapId(tilemap),
                    texture_index: TileTextureIndex(*index),
                    ..default()
                })
                .id();
            storage.set(&position, tile);
        }
        commands.entity(tilemap).insert(TilemapBundle {
            grid_size: tile_size.into(),
            map_type: TilemapType::Square,
            size,
            storage,
            texture: TilemapTexture::Single(texture.clone()),
            tile_size,
            anchor: TilemapAnchor::None,
            transform: Transform::from_xyz(0.0, 0.0, depth as f32 * 0.1),
            ..default()
        });
    }
}
