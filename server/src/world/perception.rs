//! Perception: everything an agent loop needs to decide its next step, in one answer.

use shared::api::{NearbyAgent, NearbyLandmark, Perception};
use shared::{AgentId, Tick};

use super::error::WorldError;
use super::state::World;

impl World {
    /// What `id` perceives within `radius` tiles (the default when `None`), with the speech it
    /// heard after `since` (all it remembers when `None`).
    pub fn perceive(
        &self,
        id: AgentId,
        radius: Option<u16>,
        since: Option<Tick>,
    ) -> Result<Perception, WorldError> {
        let slot = self.slot(id)?;
        let radius = radius.unwrap_or(self.limits.perception_radius_default);
        if radius > self.limits.perception_radius_max {
            return Err(WorldError::Invalid(format!(
                "radius {radius} is larger than the limit of {}",
                self.limits.perception_radius_max
            )));
        }
        let me = &self.agents[slot];
        let here = me.pos();
        let mut agents: Vec<NearbyAgent> = self
            .agents
            .iter()
            .filter(|a| a.id() != id)
            .map(|a| NearbyAgent {
                distance: a.pos().chebyshev(here),
                agent: a.view.clone(),
            })
            .filter(|n| n.distance <= u32::from(radius))
            .collect();
        agents.sort_by_key(|n| (n.distance, n.agent.id));
        let mut landmarks: Vec<NearbyLandmark> = self
            .map
            .landmarks()
            .iter()
            .map(|l| NearbyLandmark {
                distance: l.area.distance_to(here),
                landmark: l.clone(),
            })
            .filter(|n| n.distance <= u32::from(radius))
            .collect();
        landmarks.sort_by(|a, b| (a.distance, &a.landmark.key).cmp(&(b.distance, &b.landmark.key)));
        let heard = me
            .heard
            .iter()
            .filter(|h| since.is_none_or(|s| h.tick > s))
            .cloned()
            .collect();
        Ok(Perception {
            tick: self.tick,
            radius,
            me: me.view.clone(),
            at_landmark: self.map.landmark_at(here).map(|l| l.key.clone()),
            agents,
            landmarks,
            heard,
        })
    }
}
