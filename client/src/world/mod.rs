//! The world the stream describes and the entities that show it, without drawing anything.

pub mod agents;
pub mod coords;
pub mod model;
pub mod motion;

use bevy::prelude::*;

pub(super) fn plugin(app: &mut App) {
    app.add_plugins((model::plugin, agents::plugin, motion::plugin));
}
