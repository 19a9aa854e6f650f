//! Speech bubbles: what an agent says, above its head for a few seconds. One bubble per
//! agent; a new line replaces the old one.

use std::collections::HashMap;

use bevy::prelude::*;
use shared::AgentId;

use crate::ViewerSet;
use crate::world::agents::AgentIndex;
use crate::world::model::WorldChange;

/// How long a bubble stays, in seconds.
pub const BUBBLE_SECONDS: f64 = 5.0;
/// Characters shown; the rest is cut with an ellipsis.
pub const BUBBLE_CHARS_MAX: usize = 60;

/// A bubble child of an agent (painted by [`super::overlay_text`]), and when it goes.
#[derive(Component, Debug)]
pub struct Bubble {
    pub agent: AgentId,
    pub text: String,
    pub until: f64,
}

pub(super) fn plugin(app: &mut App) {
    app.add_systems(
        Update,
        (show_speech, expire_bubbles)
            .chain()
            .after(ViewerSet::Scene),
    );
}

/// `text` cut to [`BUBBLE_CHARS_MAX`] characters.
pub fn bubble_text(text: &str) -> String {
    let mut chars = text.chars();
    let mut out: String = chars.by_ref().take(BUBBLE_CHARS_MAX).collect();
    if chars.next().is_some() {
        out.push('…');
    }
    out
}

fn show_speech(
    mut commands: Commands,
    time: Res<Time<Real>>,
    index: Res<AgentIndex>,
    mut changes: MessageReader<WorldChange>,
    bubbles: Query<(Entity, &Bubble)>,
) {
    let now = time.elapsed_secs_f64();
    let mut existing: HashMap<AgentId, Entity> = HashMap::new();
    let mut said = false;
    for change in changes.read() {
        let WorldChange::Speech(lines) = change else {
            continue;
        };
        if !said {
            existing = bubbles.iter().map(|(e, b)| (b.agent, e)).collect();
            said = true;
        }
        for line in lines {
            let Some(&agent) = index.0.get(&line.id) else {
                continue;
            };
            if let Some(old) = existing.remove(&line.id) {
                commands.entity(old).despawn();
            }
            commands.spawn((
                Bubble {
                    agent: line.id,
                    text: bubble_text(&line.text),
                    until: now + BUBBLE_SECONDS,
                },
                Transform::default(),
                ChildOf(agent),
            ));
        }
    }
}

fn expire_bubbles(
    mut commands: Commands,
    time: Res<Time<Real>>,
    bubbles: Query<(Entity, &Bubble)>,
) {
    let now = time.elapsed_secs_f64();
    for (entity, bubble) in &bubbles {
        if bubble.until <= now {
            commands.entity(entity).despawn();
        }
    }
}
