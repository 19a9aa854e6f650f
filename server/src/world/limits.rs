//! The named limits of the world, in ticks and tiles, derived from the configuration.

use serde::{Deserialize, Serialize};

/// Limits the world enforces on every agent. Times are in ticks so the world never reads a clock
/// except the `now_ms` it is handed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorldLimits {
    /// Time between ticks: the world's clock rate (10 Hz by default). Every other limit in
    /// ticks is counted in these.
    pub tick_interval_ms: u64,
    /// Agents within this many tiles (Chebyshev) of a speaker hear it.
    pub talk_radius_tiles: u16,
    /// An agent may talk at most once per this many ticks.
    pub talk_cooldown_ticks: u64,
    /// Longest speech line, in characters.
    pub speech_chars_max: usize,
    /// How many heard speech lines an agent remembers for its perception.
    pub heard_speech_max: usize,
    /// Perception radius when the caller does not name one.
    pub perception_radius_default: u16,
    /// Largest perception radius a caller may ask for.
    pub perception_radius_max: u16,
    /// Longest activity detail, in characters.
    pub activity_detail_chars_max: usize,
    /// A walker blocked this many ticks in a row plans a new path around the agents in its way.
    pub replan_after_blocked_ticks: u32,
    /// A walker blocked this many ticks in a row gives up and stands still.
    pub give_up_after_blocked_ticks: u32,
    /// A* nodes all re-plans of one tick may expand together; walkers past the budget wait for
    /// the next tick. Bounds the tick's cost however many walkers are stuck.
    pub replan_nodes_per_tick_max: usize,
    /// A re-plan steps around agents within this many tiles (Chebyshev) of the walker; those
    /// farther away will have moved by the time it gets there.
    pub replan_avoid_radius_tiles: u16,
    /// Nodes one A* search may expand before the target counts as unreachable.
    pub path_search_nodes_max: usize,
    /// An online agent that has not acted for this long becomes idle.
    pub idle_after_ms: i64,
    /// Most agents the world holds.
    pub agents_max: usize,
}

impl Default for WorldLimits {
    fn default() -> Self {
        Self {
            tick_interval_ms: 100,
            talk_radius_tiles: 6,
            talk_cooldown_ticks: 20,
            speech_chars_max: 280,
            heard_speech_max: 32,
            perception_radius_default: 8,
            perception_radius_max: 32,
            activity_detail_chars_max: 120,
            replan_after_blocked_ticks: 3,
            give_up_after_blocked_ticks: 30,
            replan_nodes_per_tick_max: 20_000,
            replan_avoid_radius_tiles: 3,
            path_search_nodes_max: 200_000,
            idle_after_ms: 60_000,
            agents_max: 20_000,
        }
    }
}
