//! Drawing: the tilemap, agents, bubbles and landmark labels. Needs a renderer; the logic
//! tests leave it out.

pub mod agent_sprites;
pub mod bubbles;
pub mod landmark_labels;
pub mod map_data;
pub mod overlay_text;
pub mod tilemap;

use bevy::prelude::*;

pub(super) fn plugin(app: &mut App) {
    app.add_plugins((
        tilemap::plugin,
        agent_sprites::plugin,
        bubbles::plugin,
        landmark_labels::plugin,
        overlay_text::plugin,
    ));
}
