//! Perception: everything an agent loop needs to decide its next step, in one answer.

use serde::{Deserialize, Serialize};
use shared::{AgentId, AgentView, Landmark, Tick};

use super::agent_state::HeardSpeech;
use super::error::WorldError;
use super::state::World;

/// What an agent perceives around itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Perception {
    pub tick: Tick,
    pub radius: u16,
    /// The agent itself.
    pub me: AgentView,
    /// The landmark it stands on, if any.
    pub at_landmark: Option<String>,
    /// Other agents within `radius` tiles, nearest first.
    pub agents: Vec<NearbyAgent>,
    /// Landmarks with a tile within `radius`, nearest first.
    pub landmarks: Vec<NearbyLandmark>,
    /// Speech the agent heard, oldest first (after `since_tick` when given).
    pub heard: Vec<HeardSpeech>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NearbyAgent {
    /// Tiles away (Chebyshev).
    pub distance: u32,
    pub agent: AgentView,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NearbyLandmark {
    /// Tiles to its nearest tile (Chebyshev); 0 when standing on it.
    pub distance: u32,
    pub landmark: Landmark,
}

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
