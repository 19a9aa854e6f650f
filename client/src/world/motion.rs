//! Smooth steps: an agent's sprite glides from where it is drawn to the tile the server moved
//! it to, over about the time the agent took for its last step. A jump of more than one tile
//! (a snapshot, a resync, the server placing an agent) is drawn at once: that is the server
//! saying so, not a step.

use bevy::prelude::*;

use crate::ViewerSet;

/// Where an agent is being drawn between two tiles.
#[derive(Component, Debug, Clone, Copy, PartialEq)]
pub struct Motion {
    pub from: Vec2,
    pub to: Vec2,
    /// Real time (seconds since start) the glide began.
    pub start: f64,
    pub duration: f32,
    /// When the previous step arrived: the next glide lasts about as long as the gap.
    pub last_step_at: f64,
}

impl Motion {
    /// Standing still at `at`.
    pub fn at(at: Vec2, now: f64) -> Self {
        Self {
            from: at,
            to: at,
            start: now,
            duration: 0.0,
            last_step_at: now,
        }
    }

    /// Where to draw at `now`.
    pub fn position(&self, now: f64) -> Vec2 {
        if self.duration <= 0.0 {
            return self.to;
        }
        let t = ((now - self.start) / f64::from(self.duration)).clamp(0.0, 1.0) as f32;
        self.from.lerp(self.to, t)
    }

    /// Starts a glide to `to` from wherever the agent is drawn now. `tile` is one tile's
    /// size: further than that (with slack for diagonals) is a jump, drawn at once.
    pub fn step_to(&mut self, to: Vec2, now: f64, tick_seconds: f32, tile: f32) {
        let here = self.position(now);
        let gap = ((now - self.last_step_at) as f32).clamp(tick_seconds, 1.0);
        let jump = here.distance(to) > tile * 1.5 + 0.01;
        *self = Self {
            from: if jump { to } else { here },
            to,
            start: now,
            duration: if jump { 0.0 } else { gap },
            last_step_at: now,
        };
    }
}

pub(super) fn plugin(app: &mut App) {
    app.add_systems(Update, draw_motion.in_set(ViewerSet::Animate));
}

fn draw_motion(time: Res<Time<Real>>, mut agents: Query<(&Motion, &mut Transform)>) {
    let now = time.elapsed_secs_f64();
    for (motion, mut transform) in &mut agents {
        let at = motion.position(now);
        transform.translation.x = at.x;
        transform.translation.y = at.y;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_glides_and_a_jump_does_not() {
        // One tile is drawn in between over the step time; five tiles appear at once.
        let mut m = Motion::at(Vec2::ZERO, 0.0);
        m.step_to(Vec2::new(16.0, 0.0), 1.0, 0.1, 16.0);
        assert_eq!(m.duration, 1.0);
        assert_eq!(m.position(1.0), Vec2::ZERO);
        assert_eq!(m.position(1.5), Vec2::new(8.0, 0.0));
        assert_eq!(m.position(2.5), Vec2::new(16.0, 0.0));
        m.step_to(Vec2::new(96.0, 0.0), 2.6, 0.1, 16.0);
        assert_eq!(m.position(2.6), Vec2::new(96.0, 0.0));
    }

    #[test]
    fn a_new_step_starts_from_where_the_sprite_is_drawn() {
        // Steps arriving before the glide ends continue from the drawn position: no snapping.
        let mut m = Motion::at(Vec2::ZERO, 0.0);
        m.step_to(Vec2::new(16.0, 0.0), 0.1, 0.1, 16.0);
        m.step_to(Vec2::new(32.0, 0.0), 0.15, 0.1, 16.0);
        assert_eq!(m.from, Vec2::new(8.0, 0.0));
        assert!((m.duration - 0.1).abs() < 1e-6);
    }
}
