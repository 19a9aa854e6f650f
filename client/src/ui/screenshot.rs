//! `--screenshot PATH` (desktop): once the world has arrived and a few frames have settled,
//! save the window as a PNG, write the camera and every agent's screen position and tint
//! beside it as `PATH.json`, and exit. The Xvfb test reads both; a person can attach them to a bug report.
//! Exits with an error if no world arrives within [`SCREENSHOT_WAIT_SECONDS`].

use std::path::PathBuf;

use bevy::prelude::*;
use bevy::render::view::window::screenshot::{Screenshot, ScreenshotCaptured};
use serde_json::json;

use crate::ViewerConfig;
use crate::net::{LinkState, LinkStatus};
use crate::world::agents::Agent;

/// Frames drawn after the snapshot before the picture is taken (glides finish, text lays out).
const SETTLE_FRAMES: u32 = 30;
/// How long to wait for a world before giving up.
pub const SCREENSHOT_WAIT_SECONDS: f64 = 60.0;

#[derive(Resource, Debug)]
struct ScreenshotPlan {
    path: PathBuf,
    live_frames: u32,
    requested: bool,
}

pub(super) fn plugin(app: &mut App) {
    let Some(path) = app.world().resource::<ViewerConfig>().screenshot.clone() else {
        return;
    };
    app.insert_resource(ScreenshotPlan {
        path,
        live_frames: 0,
        requested: false,
    })
    .add_systems(Last, take_when_settled);
}

fn take_when_settled(
    mut commands: Commands,
    time: Res<Time<Real>>,
    link: Res<LinkStatus>,
    mut plan: ResMut<ScreenshotPlan>,
    mut exit: MessageWriter<AppExit>,
) {
    if plan.requested {
        return;
    }
    if link.state == LinkState::Live {
        plan.live_frames += 1;
    } else if time.elapsed_secs_f64() > SCREENSHOT_WAIT_SECONDS {
        error!(
            "no world arrived in {SCREENSHOT_WAIT_SECONDS} s: {:?}",
            link.last_end
        );
        exit.write(AppExit::error());
        return;
    }
    if plan.live_frames < SETTLE_FRAMES {
        return;
    }
    plan.requested = true;
    let path = plan.path.clone();
    commands.spawn(Screenshot::primary_window()).observe(
        move |captured: On<ScreenshotCaptured>, mut commands: Commands| {
            let saved = captured
                .image
                .clone()
                .try_into_dynamic()
                .map_err(|e| e.to_string())
                .and_then(|image| image.to_rgb8().save(&path).map_err(|e| e.to_string()));
            if let Err(error) = saved {
                error!(
                    "could not save the screenshot to {}: {error}",
                    path.display()
                );
                commands.write_message(AppExit::error());
                return;
            }
            let path = path.clone();
            commands.queue(move |world: &mut World| write_sidecar(world, &path));
        },
    );
}

/// Writes `PATH.json`: window size, camera centre and scale, and each agent's screen position.
fn write_sidecar(world: &mut World, path: &std::path::Path) {
    let mut cameras = world.query::<(&Camera, &GlobalTransform, &Projection)>();
    let Some((camera, at, projection)) = cameras
        .iter(world)
        .next()
        .map(|(c, t, p)| (c.clone(), *t, p.clone()))
    else {
        world.write_message(AppExit::error());
        return;
    };
    let scale = match projection {
        Projection::Orthographic(ortho) => ortho.scale,
        _ => 1.0,
    };
    let size = camera.logical_viewport_size().unwrap_or_default();
    let mut agents = world.query::<(&Agent, &GlobalTransform, Option<&Sprite>)>();
    let placed: Vec<_> = agents
        .iter(world)
        .filter_map(|(agent, t, sprite)| {
            let screen = camera.world_to_viewport(&at, t.translation()).ok()?;
            let tint = sprite.map(|s| s.color.to_srgba().to_u8_array());
            Some(json!({
                "id": agent.id.0,
                "world": [t.translation().x, t.translation().y],
                "screen": [screen.x, screen.y],
                "tint": tint,
            }))
        })
        .collect();
    let sidecar = json!({
        "window": [size.x, size.y],
        "camera": { "x": at.translation().x, "y": at.translation().y, "scale": scale },
        "agents": placed,
    });
    let file = path.with_extension("png.json");
    let exit = match std::fs::write(&file, sidecar.to_string()) {
        Ok(()) => AppExit::Success,
        Err(error) => {
            error!("could not write {}: {error}", file.display());
            AppExit::error()
        }
    };
    world.write_message(exit);
}
