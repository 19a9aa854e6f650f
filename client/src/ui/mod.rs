//! What a person handles: the camera, selection, and the egui panels (status line, inspector,
//! board). Panels draw server state and send requests; they decide nothing themselves.

pub mod board;
pub mod camera;
pub mod fonts;
pub mod inspector;
#[cfg(target_arch = "wasm32")]
pub mod page_state;
#[cfg(not(target_arch = "wasm32"))]
pub mod screenshot;
pub mod select;
pub mod status_line;

use bevy::diagnostic::FrameTimeDiagnosticsPlugin;
use bevy::prelude::*;
use bevy_egui::input::EguiWantsInput;
use bevy_egui::{EguiPlugin, EguiPrimaryContextPass};

pub(super) fn plugin(app: &mut App) {
    app.add_plugins((EguiPlugin::default(), FrameTimeDiagnosticsPlugin::default()))
        .add_plugins((
            camera::plugin,
            fonts::plugin,
            select::plugin,
            status_line::plugin,
            inspector::plugin,
            board::plugin,
        ))
        .add_systems(
            EguiPrimaryContextPass,
            note_panel_input.after(board::BoardPanelSet),
        );
    #[cfg(not(target_arch = "wasm32"))]
    app.add_plugins(screenshot::plugin);
    #[cfg(target_arch = "wasm32")]
    app.add_plugins(page_state::plugin);
}

/// Lets the camera and selection know when egui has the pointer or keyboard.
fn note_panel_input(wants: Res<EguiWantsInput>, mut panels: ResMut<camera::PanelsHaveInput>) {
    panels.pointer = wants.wants_any_pointer_input();
    panels.keyboard = wants.wants_any_keyboard_input();
}
