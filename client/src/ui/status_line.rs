//! The status line along the bottom: connection (connected, reconnecting with the time left,
//! or a protocol mismatch spelled out), tick, agent count, frames per second, and a warning
//! when the server's map is not the one built into this viewer.

use bevy::diagnostic::{DiagnosticsStore, FrameTimeDiagnosticsPlugin};
use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};

use crate::net::session::StreamEnd;
use crate::net::{LinkState, LinkStatus};
use crate::render::map_data::MAP_FILE;
use crate::world::model::WorldModel;

pub(super) fn plugin(app: &mut App) {
    app.add_systems(EguiPrimaryContextPass, draw_status_line);
}

/// The connection part of the status line, in words.
pub fn link_text(status: &LinkStatus, now: f64) -> String {
    match (&status.state, &status.last_end) {
        (_, Some(StreamEnd::ProtocolMismatch { server, client })) if *server > 0 => format!(
            "protocol mismatch: the server speaks {server}, this viewer {client}; \
             reload the page or update the viewer"
        ),
        (_, Some(end @ StreamEnd::ProtocolMismatch { .. })) => {
            format!("{end}; reload the page or update the viewer")
        }
        (LinkState::Live, _) => match &status.server_version {
            Some(version) => format!("connected (server {version})"),
            None => "connected".into(),
        },
        (LinkState::Idle, _) => "starting".into(),
        (LinkState::Connecting { attempt }, _) if *attempt <= 1 => "connecting…".into(),
        (LinkState::Connecting { attempt }, _) => format!("reconnecting (attempt {attempt})…"),
        (LinkState::Waiting { retry_at, .. }, end) => {
            let why = end.as_ref().map(|e| format!(" — {e}")).unwrap_or_default();
            format!(
                "reconnecting in {:.0} s{why}",
                (retry_at - now).max(0.0).ceil()
            )
        }
    }
}

fn draw_status_line(
    mut contexts: EguiContexts,
    time: Res<Time<Real>>,
    link: Res<LinkStatus>,
    model: Res<WorldModel>,
    diagnostics: Res<DiagnosticsStore>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    let fps = diagnostics
        .get(&FrameTimeDiagnosticsPlugin::FPS)
        .and_then(|d| d.smoothed())
        .unwrap_or(0.0);
    egui::Area::new(egui::Id::new("status"))
        .anchor(egui::Align2::LEFT_BOTTOM, [0.0, 0.0])
        .show(ctx, |ui| {
            egui::Frame::popup(ui.style()).show(ui, |ui| {
                ui.horizontal(|ui| {
                    let text = link_text(&link, time.elapsed_secs_f64());
                    let color = match link.state {
                        LinkState::Live => egui::Color32::LIGHT_GREEN,
                        _ if link.mismatch().is_some() => egui::Color32::LIGHT_RED,
                        _ => egui::Color32::YELLOW,
                    };
                    ui.colored_label(color, text);
                    ui.separator();
                    match model.tick() {
                        Some(tick) => ui.label(format!("tick {}", tick.0)),
                        None => ui.label("no world yet"),
                    };
                    ui.separator();
                    ui.label(format!("{} agents", model.agent_count()));
                    ui.separator();
                    ui.label(format!("{fps:.0} fps"));
                    if let Some(mirror) = &model.mirror
                        && mirror.map.file != MAP_FILE
                    {
                        ui.separator();
                        ui.colored_label(
                            egui::Color32::LIGHT_RED,
                            format!(
                                "the server's map is {}; this viewer draws {MAP_FILE}",
                                mirror.map.file
                            ),
                        );
                    }
                });
            });
        });
    Ok(())
}
