//! Landmark names over the map (painted by [`super::overlay_text`]) (the board, the workshop, homes), placed from the landmarks the
//! server sends in its snapshot so that they match what agents can walk to.

use bevy::prelude::*;

use crate::ViewerSet;
use crate::world::model::{WorldChange, WorldModel};

/// A landmark's label.
#[derive(Component, Debug)]
pub struct LandmarkLabel {
    pub label: String,
}

pub(super) fn plugin(app: &mut App) {
    app.add_systems(Update, place_labels.after(ViewerSet::Scene));
}

fn place_labels(
    mut commands: Commands,
    model: Res<WorldModel>,
    mut changes: MessageReader<WorldChange>,
    labels: Query<Entity, With<LandmarkLabel>>,
) {
    if !changes.read().any(|c| matches!(c, WorldChange::Reset)) {
        return;
    }
    let (Some(mirror), Some(grid)) = (model.mirror.as_ref(), model.grid) else {
        return;
    };
    for entity in &labels {
        commands.entity(entity).despawn();
    }
    for landmark in &mirror.landmarks {
        let area = landmark.area;
        let top_left = grid.center(shared::TilePos::new(area.x, area.y));
        let x = top_left.x + (f32::from(area.w) - 1.0) * grid.tile_w / 2.0;
        let y = top_left.y + grid.tile_h * 0.9;
        commands.spawn((
            LandmarkLabel {
                label: landmark.label.clone(),
            },
            Transform::from_xyz(x, y, 20.0),
        ));
    }
}
