//! Whether the egui panels have the pointer or keyboard this frame, for the camera and the
//! selection to leave that input alone. Its own plugin: both read it, the panels set it, and
//! neither the camera nor the selection has to import the other for it.

use bevy::prelude::*;
use bevy_egui::EguiPrimaryContextPass;
use bevy_egui::input::EguiWantsInput;

use super::board::BoardPanelSet;

/// Whether egui has the pointer or keyboard this frame (set after the panels are drawn).
#[derive(Resource, Debug, Default, Clone, Copy)]
pub struct PanelsHaveInput {
    pub pointer: bool,
    pub keyboard: bool,
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<PanelsHaveInput>().add_systems(
        EguiPrimaryContextPass,
        note_panel_input.after(BoardPanelSet),
    );
}

/// Lets the camera and selection know when egui has the pointer or keyboard.
fn note_panel_input(wants: Res<EguiWantsInput>, mut panels: ResMut<PanelsHaveInput>) {
    panels.pointer = wants.wants_any_pointer_input();
    panels.keyboard = wants.wants_any_keyboard_input();
}
