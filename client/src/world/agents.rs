//! One entity per agent the model knows, kept in step with it: spawned, despawned, moved
//! (a glide, see [`super::motion`]) and re-labelled as the stream says. Drawing is added by
//! the render plugins; this file works without a window (the logic tests run it headless).

use std::collections::HashMap;

use bevy::prelude::*;
use shared::{AgentId, AgentStatus, AgentView};

use super::model::{WorldChange, WorldModel};
use super::motion::Motion;
use crate::ViewerSet;

/// An agent's entity.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Agent {
    pub id: AgentId,
}

/// What a sprite shows about its agent besides where it is; changes when the stream says.
#[derive(Component, Debug, Clone, PartialEq, Eq)]
pub struct AgentLook {
    pub name: String,
    pub status: AgentStatus,
    pub tier: String,
    /// Whether it is working at a landmark (drawn differently from idle or walking).
    pub working: bool,
}

impl AgentLook {
    pub fn of(view: &AgentView) -> Self {
        Self {
            name: view.display_name.clone(),
            status: view.status,
            tier: view.tier.clone(),
            working: view.activity.kind == shared::ActivityKind::Working,
        }
    }
}

/// Agent id to entity, for the changes that name agents.
#[derive(Resource, Debug, Default)]
pub struct AgentIndex(pub HashMap<AgentId, Entity>);

/// Agents are drawn above the map (z 0) and below labels and bubbles.
pub const AGENT_Z: f32 = 10.0;

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<AgentIndex>()
        .add_systems(Update, sync_agents.in_set(ViewerSet::Scene));
}

fn sync_agents(
    mut commands: Commands,
    time: Res<Time<Real>>,
    model: Res<WorldModel>,
    mut index: ResMut<AgentIndex>,
    mut changes: MessageReader<WorldChange>,
    mut agents: Query<(&mut Motion, &mut AgentLook)>,
) {
    let (Some(mirror), Some(grid)) = (model.mirror.as_ref(), model.grid) else {
        return;
    };
    let now = time.elapsed_secs_f64();
    let spawn = |commands: &mut Commands, view: &AgentView| {
        let at = grid.center(view.pos);
        commands
            .spawn((
                Agent { id: view.id },
                AgentLook::of(view),
                Motion::at(at, now),
                Transform::from_xyz(at.x, at.y, AGENT_Z),
                Visibility::default(),
            ))
            .id()
    };
    for change in changes.read() {
        match change {
            WorldChange::Reset => {
                for (_, entity) in index.0.drain() {
                    commands.entity(entity).despawn();
                }
                for view in mirror.agents.values() {
                    let entity = spawn(&mut commands, view);
                    index.0.insert(view.id, entity);
                }
            }
            WorldChange::Applied(applied) => {
                for id in &applied.despawned {
                    if let Some(entity) = index.0.remove(id) {
                        commands.entity(entity).despawn();
                    }
                }
                for id in &applied.spawned {
                    if let Some(view) = mirror.agents.get(id) {
                        let entity = spawn(&mut commands, view);
                        if let Some(old) = index.0.insert(*id, entity) {
                            commands.entity(old).despawn();
                        }
                    }
                }
                for id in &applied.moved {
                    let (Some(view), Some(entity)) = (mirror.agents.get(id), index.0.get(id))
                    else {
                        continue;
                    };
                    if let Ok((mut motion, _)) = agents.get_mut(*entity) {
                        motion.step_to(grid.center(view.pos), now, model.tick_seconds, grid.tile_w);
                    }
                }
                for id in &applied.changed {
                    let (Some(view), Some(entity)) = (mirror.agents.get(id), index.0.get(id))
                    else {
                        continue;
                    };
                    if let Ok((_, mut look)) = agents.get_mut(*entity) {
                        let new = AgentLook::of(view);
                        if *look != new {
                            *look = new;
                        }
                    }
                }
            }
            WorldChange::Speech(_) | WorldChange::Events(_) => {}
        }
    }
}
