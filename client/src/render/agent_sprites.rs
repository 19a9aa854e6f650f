//! How an agent looks: a small figure tinted per agent, a status mark beside its head
//! (green online, blue working, grey idle, amber paused, red quarantined) and a tier bar under
//! its feet in its tier's colour. Added to agent entities as they appear; refreshed when their look changes.
//! Names and tiers are painted by [`super::overlay_text`].

use bevy::asset::RenderAssetUsages;
use bevy::prelude::*;
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat};
use shared::AgentStatus;

use crate::ViewerSet;
use crate::world::agents::{Agent, AgentLook};

/// The figure every agent is drawn with (white, so a tint colours it).
#[derive(Resource, Debug, Clone)]
pub struct FigureImage(pub Handle<Image>);

/// The status mark child of an agent.
#[derive(Component, Debug)]
pub struct StatusMark;

/// The tier mark child of an agent: a bar under its feet in its tier's colour.
#[derive(Component, Debug)]
pub struct TierMark;

/// Zoom (camera scale) above which names are hidden: a crowd of labels is unreadable.
pub const NAMES_HIDDEN_ABOVE_SCALE: f32 = 1.6;

const FIGURE: [&str; 14] = [
    "....####....",
    "...######...",
    "...######...",
    "...######...",
    "....####....",
    "..########..",
    ".##########.",
    ".##########.",
    ".##.####.##.",
    ".##.####.##.",
    "....####....",
    "....#..#....",
    "....#..#....",
    "...##..##...",
];

pub(super) fn plugin(app: &mut App) {
    app.add_systems(Startup, make_figure).add_systems(
        Update,
        (dress_new_agents, refresh_looks)
            .chain()
            .after(ViewerSet::Scene),
    );
}

fn make_figure(mut commands: Commands, mut images: ResMut<Assets<Image>>) {
    let (w, h) = (FIGURE[0].len() as u32, FIGURE.len() as u32);
    let mut data = Vec::with_capacity((w * h * 4) as usize);
    for row in FIGURE {
        for c in row.bytes() {
            data.extend_from_slice(if c == b'#' {
                &[255, 255, 255, 255]
            } else {
                &[0, 0, 0, 0]
            });
        }
    }
    let image = Image::new(
        Extent3d {
            width: w,
            height: h,
            depth_or_array_layers: 1,
        },
        TextureDimension::D2,
        data,
        TextureFormat::Rgba8UnormSrgb,
        RenderAssetUsages::RENDER_WORLD,
    );
    commands.insert_resource(FigureImage(images.add(image)));
}

/// A stable colour per agent, from its id.
pub fn agent_color(id: u64) -> Color {
    let hue = (id.wrapping_mul(0x9E37_79B9) % 360) as f32;
    Color::hsl(hue, 0.65, 0.55)
}

/// A stable colour per tier name (the viewer does not know the tier table's order).
pub fn tier_color(tier: &str) -> Color {
    let hash = tier.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    Color::hsl((hash % 360) as f32, 0.8, 0.6)
}

pub fn status_color(look: &AgentLook) -> Color {
    match look.status {
        AgentStatus::Online if look.working => Color::srgb(0.25, 0.55, 1.0),
        AgentStatus::Online => Color::srgb(0.2, 0.85, 0.3),
        AgentStatus::Idle => Color::srgb(0.6, 0.6, 0.6),
        AgentStatus::Paused => Color::srgb(1.0, 0.7, 0.1),
        AgentStatus::Quarantined => Color::srgb(0.9, 0.1, 0.1),
    }
}

fn dress_new_agents(
    mut commands: Commands,
    figure: Option<Res<FigureImage>>,
    agents: Query<(Entity, &Agent, &AgentLook), Added<Agent>>,
) {
    let Some(figure) = figure else { return };
    for (entity, agent, look) in &agents {
        commands
            .entity(entity)
            .insert(Sprite {
                image: figure.0.clone(),
                color: agent_color(agent.id.0),
                ..default()
            })
            .with_children(|parent| {
                parent.spawn((
                    StatusMark,
                    Sprite::from_color(status_color(look), Vec2::splat(4.0)),
                    Transform::from_xyz(6.0, 7.0, 0.1),
                ));
                parent.spawn((
                    TierMark,
                    Sprite::from_color(tier_color(&look.tier), Vec2::new(10.0, 2.0)),
                    Transform::from_xyz(0.0, -8.0, 0.1),
                ));
            });
    }
}

/// The mark sprites under an agent, and whether each is the status mark (else the tier's).
type Marks<'w, 's> =
    Query<'w, 's, (&'static mut Sprite, Has<StatusMark>), Or<(With<StatusMark>, With<TierMark>)>>;

fn refresh_looks(looks: Query<(&AgentLook, &Children), Changed<AgentLook>>, mut marks: Marks) {
    for (look, children) in &looks {
        for child in children.iter() {
            if let Ok((mut sprite, is_status)) = marks.get_mut(child) {
                sprite.color = if is_status {
                    status_color(look)
                } else {
                    tier_color(&look.tier)
                };
            }
        }
    }
}
