//! The camera: drag with the left button or use the arrow keys (or WASD) to pan, the wheel to
//! zoom, F to follow the selected agent (any pan stops following). When what the camera shows
//! changes, the viewer tells the server its viewport, so the stream carries only what is seen.

use bevy::ecs::system::SystemParam;
use bevy::input::mouse::{AccumulatedMouseMotion, AccumulatedMouseScroll, MouseScrollUnit};
use bevy::prelude::*;
use shared::{ClientMsg, ServerMsg, TileRect};

use super::panel_input::PanelsHaveInput;
use super::select::Selected;
use crate::ViewerSet;
use crate::net::{LinkStatus, SendToServer, StreamMessage};
use crate::world::agents::AgentIndex;
use crate::world::model::{WorldChange, WorldModel};

/// Zoom bounds (orthographic scale: world units per pixel).
pub const ZOOM_MIN: f32 = 0.15;
pub const ZOOM_MAX: f32 = 8.0;
/// Pan speed with the keys, in screen pixels per second.
const KEY_PAN_PIXELS_PER_SECOND: f32 = 600.0;

/// Whether the camera follows the selected agent.
#[derive(Resource, Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Follow(pub bool);

/// The viewport last sent, and for which connection.
#[derive(Resource, Debug, Default)]
struct SentViewport {
    area: Option<TileRect>,
    session: u32,
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Follow>()
        .init_resource::<SentViewport>()
        .add_systems(Startup, spawn_camera)
        .add_systems(
            Update,
            (
                centre_on_first_snapshot,
                pan_and_zoom,
                follow_selected,
                report_viewport,
            )
                .chain()
                .after(ViewerSet::Animate),
        );
}

fn spawn_camera(mut commands: Commands) {
    commands.spawn((
        Camera2d,
        Projection::Orthographic(OrthographicProjection {
            scale: 0.5,
            ..OrthographicProjection::default_2d()
        }),
    ));
}

fn centre_on_first_snapshot(
    model: Res<WorldModel>,
    mut changes: MessageReader<WorldChange>,
    mut centred: Local<bool>,
    mut camera: Query<&mut Transform, With<Camera2d>>,
) {
    let reset = changes.read().any(|c| matches!(c, WorldChange::Reset));
    if *centred || !reset {
        return;
    }
    let Some(grid) = model.grid else { return };
    let centre = grid.center(shared::TilePos::new(grid.width / 2, grid.height / 2));
    for mut transform in &mut camera {
        transform.translation.x = centre.x;
        transform.translation.y = centre.y;
    }
    *centred = true;
}

/// The inputs that move the camera.
#[derive(SystemParam)]
struct CameraInput<'w> {
    keys: Res<'w, ButtonInput<KeyCode>>,
    buttons: Res<'w, ButtonInput<MouseButton>>,
    motion: Res<'w, AccumulatedMouseMotion>,
    scroll: Res<'w, AccumulatedMouseScroll>,
    panels: Res<'w, PanelsHaveInput>,
}

fn pan_and_zoom(
    time: Res<Time<Real>>,
    input: CameraInput,
    mut follow: ResMut<Follow>,
    mut camera: Query<(&mut Transform, &mut Projection), With<Camera2d>>,
) {
    let CameraInput {
        keys,
        buttons,
        motion,
        scroll,
        panels,
    } = input;
    let Ok((mut transform, mut projection)) = camera.single_mut() else {
        return;
    };
    let Projection::Orthographic(ortho) = &mut *projection else {
        return;
    };
    let mut pan = Vec2::ZERO;
    if !panels.keyboard {
        for (key, alt, dir) in [
            (KeyCode::ArrowLeft, KeyCode::KeyA, Vec2::NEG_X),
            (KeyCode::ArrowRight, KeyCode::KeyD, Vec2::X),
            (KeyCode::ArrowUp, KeyCode::KeyW, Vec2::Y),
            (KeyCode::ArrowDown, KeyCode::KeyS, Vec2::NEG_Y),
        ] {
            if keys.pressed(key) || keys.pressed(alt) {
                pan += dir * KEY_PAN_PIXELS_PER_SECOND * time.delta_secs() * ortho.scale;
            }
        }
    }
    if !panels.pointer && buttons.pressed(MouseButton::Left) && motion.delta != Vec2::ZERO {
        // Screen y grows downwards, world y upwards.
        pan += Vec2::new(-motion.delta.x, motion.delta.y) * ortho.scale;
    }
    if pan != Vec2::ZERO {
        follow.0 = false;
        transform.translation.x += pan.x;
        transform.translation.y += pan.y;
    }
    if !panels.pointer && scroll.delta.y != 0.0 {
        let notches = match scroll.unit {
            MouseScrollUnit::Line => scroll.delta.y,
            MouseScrollUnit::Pixel => scroll.delta.y / 100.0,
        };
        ortho.scale = (ortho.scale * 0.9f32.powf(notches)).clamp(ZOOM_MIN, ZOOM_MAX);
    }
    if !panels.keyboard && keys.just_pressed(KeyCode::KeyF) {
        follow.0 = !follow.0;
    }
}

fn follow_selected(
    follow: Res<Follow>,
    selected: Res<Selected>,
    index: Res<AgentIndex>,
    agents: Query<&Transform, Without<Camera2d>>,
    mut camera: Query<&mut Transform, With<Camera2d>>,
) {
    let Some(id) = selected.0.filter(|_| follow.0) else {
        return;
    };
    let Some(target) = index.0.get(&id).and_then(|e| agents.get(*e).ok()) else {
        return;
    };
    for mut transform in &mut camera {
        transform.translation.x = target.translation.x;
        transform.translation.y = target.translation.y;
    }
}

fn report_viewport(
    model: Res<WorldModel>,
    link: Res<LinkStatus>,
    mut from_server: MessageReader<StreamMessage>,
    mut sent: ResMut<SentViewport>,
    camera: Query<(&Camera, &GlobalTransform)>,
    mut out: MessageWriter<SendToServer>,
) {
    let (Some(grid), Ok((camera, at))) = (model.grid, camera.single()) else {
        return;
    };
    for StreamMessage(msg) in from_server.read() {
        if let ServerMsg::Error { code, message } = msg {
            // `viewport_not_applied`: the server was busy; send it again. `bad_viewport`: a
            // bug here, but the stream stays whole-world, so say it and carry on.
            warn!("the server refused the viewport ({code}): {message}");
            if code == "viewport_not_applied" {
                sent.area = None;
            }
        }
    }
    if link.state != crate::net::LinkState::Live {
        return;
    }
    let Some(size) = camera.logical_viewport_size() else {
        return;
    };
    let (Ok(a), Ok(b)) = (
        camera.viewport_to_world_2d(at, Vec2::ZERO),
        camera.viewport_to_world_2d(at, size),
    ) else {
        return;
    };
    let Some(area) = grid.tiles_in(a.min(b), a.max(b)) else {
        return;
    };
    if sent.area == Some(area) && sent.session == link.sessions {
        return;
    }
    sent.area = Some(area);
    sent.session = link.sessions;
    out.write(SendToServer(ClientMsg::Viewport { area }));
}
