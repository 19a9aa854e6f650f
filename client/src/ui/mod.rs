//! What a person handles: the camera, selection, and the egui panels (status line, inspector,
//! board). Panels draw server state and send requests; they decide nothing themselves.

pub mod board;
pub mod camera;
pub mod fonts;
pub mod inspector;
#[cfg(target_arch = "wasm32")]
pub mod page_state;
pub mod panel_input;
#[cfg(not(target_arch = "wasm32"))]
pub mod screenshot;
pub mod select;
pub mod status_line;

use bevy::diagnostic::FrameTimeDiagnosticsPlugin;
use bevy::prelude::*;
use bevy_egui::EguiPlugin;

pub(super) fn plugin(app: &mut App) {
    app.add_plugins((EguiPlugin::default(), FrameTimeDiagnosticsPlugin::default()))
        .add_plugins((
            camera::plugin,
            fonts::plugin,
            select::plugin,
            status_line::plugin,
            inspector::plugin,
            board::plugin,
            panel_input::plugin,
        ));
    #[cfg(not(target_arch = "wasm32"))]
    app.add_plugins(screenshot::plugin);
    #[cfg(target_arch = "wasm32")]
    app.add_plugins(page_state::plugin);
}
