//! The world as the stream last described it ([`WorldModel`]), and what changed in it this
//! frame ([`WorldChange`]) for the systems that keep entities in step. The model believes only
//! the server: a snapshot replaces it, deltas update it in tick order, a gap drops the
//! connection so that the next one starts from a fresh snapshot.

use bevy::prelude::*;
use shared::protocol::{Speech, VillageEvent};
use shared::{Applied, ServerMsg, Tick, WorldMirror};

use super::coords::Grid;
use crate::ViewerSet;
use crate::net::{DropConnection, StreamMessage};

/// The world the viewer shows.
#[derive(Resource, Debug, Default)]
pub struct WorldModel {
    pub mirror: Option<WorldMirror>,
    pub grid: Option<Grid>,
    /// Seconds between the last two deltas (smoothed): how long a one-tile step is drawn over.
    pub tick_seconds: f32,
    last_delta_at: Option<f64>,
}

impl WorldModel {
    pub fn tick(&self) -> Option<Tick> {
        self.mirror.as_ref().map(|m| m.tick)
    }

    pub fn agent_count(&self) -> usize {
        self.mirror.as_ref().map_or(0, |m| m.agents.len())
    }
}

/// What changed in the model this frame, in order.
#[derive(Message, Debug, Clone)]
pub enum WorldChange {
    /// A snapshot replaced everything: rebuild from the model.
    Reset,
    Applied(Applied),
    Speech(Vec<Speech>),
    Events(Vec<VillageEvent>),
}

/// The step time assumed before two deltas have been seen: the server's default tick.
const TICK_SECONDS_DEFAULT: f32 = 0.1;

pub(super) fn plugin(app: &mut App) {
    app.add_message::<WorldChange>()
        .insert_resource(WorldModel {
            tick_seconds: TICK_SECONDS_DEFAULT,
            ..default()
        })
        .add_systems(Update, apply_stream.in_set(ViewerSet::Model));
}

fn apply_stream(
    time: Res<Time<Real>>,
    mut model: ResMut<WorldModel>,
    mut incoming: MessageReader<StreamMessage>,
    mut changes: MessageWriter<WorldChange>,
    mut drop: MessageWriter<DropConnection>,
) {
    for StreamMessage(msg) in incoming.read() {
        match msg {
            ServerMsg::Snapshot(snapshot) => {
                model.grid = Some(Grid::of(&snapshot.map));
                model.mirror = Some(WorldMirror::from_snapshot(snapshot.clone()));
                model.last_delta_at = None;
                changes.write(WorldChange::Reset);
            }
            ServerMsg::Delta(delta) => {
                let Some(mirror) = model.mirror.as_mut() else {
                    continue;
                };
                match mirror.apply(delta) {
                    Ok(applied) => {
                        let now = time.elapsed_secs_f64();
                        if let Some(before) = model.last_delta_at {
                            let gap = ((now - before) as f32).clamp(0.01, 2.0);
                            model.tick_seconds = model.tick_seconds * 0.8 + gap * 0.2;
                        }
                        model.last_delta_at = Some(now);
                        changes.write(WorldChange::Applied(applied));
                        if !delta.speech.is_empty() {
                            changes.write(WorldChange::Speech(delta.speech.clone()));
                        }
                        if !delta.events.is_empty() {
                            changes.write(WorldChange::Events(delta.events.clone()));
                        }
                    }
                    Err(gap) => {
                        drop.write(DropConnection(gap.to_string()));
                    }
                }
            }
            // A snapshot follows; until then the old picture stays on screen.
            ServerMsg::Resync { .. } | ServerMsg::Pong { .. } => {}
            // Not sent on the world stream; the session would have refused them anyway.
            ServerMsg::Hello { .. }
            | ServerMsg::Error { .. }
            | ServerMsg::Board(_)
            | ServerMsg::Chat(_) => {}
        }
    }
}
