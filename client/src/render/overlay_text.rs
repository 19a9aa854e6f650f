//! All the words drawn over the world (agent names and tiers, speech bubbles, landmark
//! labels), painted by egui in screen space under the panels. One text engine for the whole
//! viewer: Bevy's own text stack (and its fonts and shaping tables) stays out of the build,
//! which keeps the browser download small (docs/PERFORMANCE.md, P8).
//!
//! Only what is on screen is painted; names are left out when zoomed far out or when more
//! than [`NAMES_SHOWN_MAX`] agents are in view.

use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};

use super::agent_sprites::NAMES_HIDDEN_ABOVE_SCALE;
use super::bubbles::Bubble;
use super::landmark_labels::LandmarkLabel;
use crate::world::agents::AgentLook;

/// Text sizes in screen points.
const NAME_POINTS: f32 = 11.0;
const BUBBLE_POINTS: f32 = 12.0;
const LANDMARK_POINTS: f32 = 13.0;
/// Names painted at most: past this many agents on screen a crowd of labels is unreadable and
/// costly (10,000 names are 50,000 text shapes a frame), so names are left out until the
/// person zooms in.
pub const NAMES_SHOWN_MAX: usize = 300;
/// How far below an agent's centre its name sits, and above it its bubble, in world units.
const NAME_OFFSET: f32 = 10.0;
const BUBBLE_OFFSET: f32 = 10.0;

pub(super) fn plugin(app: &mut App) {
    app.add_systems(EguiPrimaryContextPass, paint_world_text);
}

/// The text of an agent's name label.
pub fn name_text(look: &AgentLook) -> String {
    format!("{} ({})", look.name, look.tier)
}

fn paint_world_text(
    mut contexts: EguiContexts,
    camera: Query<(&Camera, &GlobalTransform, &Projection)>,
    agents: Query<(&AgentLook, &GlobalTransform)>,
    bubbles: Query<(&Bubble, &GlobalTransform)>,
    landmarks: Query<(&LandmarkLabel, &GlobalTransform)>,
) -> Result {
    let Ok((camera, at, projection)) = camera.single() else {
        return Ok(());
    };
    let ctx = contexts.ctx_mut()?;
    let painter = ctx.layer_painter(egui::LayerId::background());
    let screen = ctx.content_rect();
    let to_screen = |world: Vec3| -> Option<egui::Pos2> {
        let p = camera.world_to_viewport(at, world).ok()?;
        let p = egui::pos2(p.x, p.y);
        screen.expand(200.0).contains(p).then_some(p)
    };
    for (label, transform) in &landmarks {
        if let Some(p) = to_screen(transform.translation()) {
            outlined(
                &painter,
                p,
                egui::Align2::CENTER_BOTTOM,
                &label.label,
                LANDMARK_POINTS,
                egui::Color32::from_rgb(255, 242, 178),
            );
        }
    }
    let scale = match projection {
        Projection::Orthographic(ortho) => ortho.scale,
        _ => 1.0,
    };
    if scale <= NAMES_HIDDEN_ABOVE_SCALE {
        let on_screen: Vec<(egui::Pos2, &AgentLook)> = agents
            .iter()
            .filter_map(|(look, t)| {
                Some((to_screen(t.translation() - Vec3::Y * NAME_OFFSET)?, look))
            })
            .take(NAMES_SHOWN_MAX + 1)
            .collect();
        if on_screen.len() <= NAMES_SHOWN_MAX {
            for (p, look) in on_screen {
                outlined(
                    &painter,
                    p,
                    egui::Align2::CENTER_TOP,
                    &name_text(look),
                    NAME_POINTS,
                    egui::Color32::WHITE,
                );
            }
        }
    }
    for (bubble, transform) in &bubbles {
        let Some(p) = to_screen(transform.translation() + Vec3::Y * BUBBLE_OFFSET) else {
            continue;
        };
        let galley = painter.layout(
            bubble.text.clone(),
            egui::FontId::proportional(BUBBLE_POINTS),
            egui::Color32::BLACK,
            240.0,
        );
        let rect = egui::Align2::CENTER_BOTTOM
            .anchor_size(p, galley.size())
            .expand(3.0);
        painter.rect_filled(
            rect,
            4.0,
            egui::Color32::from_rgba_unmultiplied(255, 255, 255, 230),
        );
        painter.galley(
            rect.min + egui::vec2(3.0, 3.0),
            galley,
            egui::Color32::BLACK,
        );
    }
    Ok(())
}

/// Text with a one-point dark outline, readable on grass, water and roofs alike.
fn outlined(
    painter: &egui::Painter,
    at: egui::Pos2,
    align: egui::Align2,
    text: &str,
    points: f32,
    colour: egui::Color32,
) {
    let font = egui::FontId::proportional(points);
    for offset in [
        egui::vec2(1.0, 1.0),
        egui::vec2(-1.0, 1.0),
        egui::vec2(1.0, -1.0),
        egui::vec2(-1.0, -1.0),
    ] {
        painter.text(
            at + offset,
            align,
            text,
            font.clone(),
            egui::Color32::from_black_alpha(200),
        );
    }
    painter.text(at, align, text, font, colour);
}
