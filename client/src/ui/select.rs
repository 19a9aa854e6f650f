//! Clicking an agent selects it (for the inspector and the follow key); clicking empty ground
//! clears the selection. The nearest agent within one tile of the click wins. A drag is a pan,
//! not a click.

use bevy::prelude::*;
use shared::AgentId;

use super::panel_input::PanelsHaveInput;
use crate::ViewerSet;
use crate::world::agents::Agent;
use crate::world::model::WorldModel;

/// The agent the inspector shows.
#[derive(Resource, Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Selected(pub Option<AgentId>);

/// A press that moved further than this (pixels) before release was a drag.
const CLICK_SLOP_PIXELS: f32 = 4.0;

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Selected>()
        .add_systems(Update, select_on_click.after(ViewerSet::Animate));
}

/// The agent nearest `point` within `reach`, from (id, position) pairs.
pub fn nearest_agent(
    point: Vec2,
    reach: f32,
    agents: impl Iterator<Item = (AgentId, Vec2)>,
) -> Option<AgentId> {
    agents
        .map(|(id, at)| (id, at.distance(point)))
        .filter(|(_, d)| *d <= reach)
        .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)))
        .map(|(id, _)| id)
}

#[allow(clippy::too_many_arguments)]
fn select_on_click(
    buttons: Res<ButtonInput<MouseButton>>,
    panels: Res<PanelsHaveInput>,
    model: Res<WorldModel>,
    windows: Query<&Window>,
    camera: Query<(&Camera, &GlobalTransform)>,
    agents: Query<(&Agent, &Transform)>,
    mut pressed_at: Local<Option<Vec2>>,
    mut selected: ResMut<Selected>,
) {
    let Ok(window) = windows.single() else { return };
    let cursor = window.cursor_position();
    if buttons.just_pressed(MouseButton::Left) && !panels.pointer {
        *pressed_at = cursor;
    }
    if !buttons.just_released(MouseButton::Left) {
        return;
    }
    let (Some(start), Some(end)) = (pressed_at.take(), cursor) else {
        return;
    };
    if start.distance(end) > CLICK_SLOP_PIXELS {
        return;
    }
    let (Ok((camera, at)), Some(grid)) = (camera.single(), model.grid) else {
        return;
    };
    let Ok(point) = camera.viewport_to_world_2d(at, end) else {
        return;
    };
    selected.0 = nearest_agent(
        point,
        grid.tile_w,
        agents.iter().map(|(a, t)| (a.id, t.translation.truncate())),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_agent_within_reach_is_picked() {
        // Closest wins; beyond reach nothing is picked; ties go to the lower id.
        let agents = [
            (AgentId(3), Vec2::new(10.0, 0.0)),
            (AgentId(1), Vec2::new(4.0, 0.0)),
            (AgentId(2), Vec2::new(-4.0, 0.0)),
        ];
        assert_eq!(
            nearest_agent(Vec2::new(5.0, 0.0), 16.0, agents.into_iter()),
            Some(AgentId(1))
        );
        assert_eq!(
            nearest_agent(Vec2::ZERO, 16.0, agents.into_iter()),
            Some(AgentId(1))
        );
        assert_eq!(
            nearest_agent(Vec2::new(100.0, 0.0), 16.0, agents.into_iter()),
            None
        );
    }
}
