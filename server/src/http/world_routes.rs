//! Reads of the world: `GET /world`, `GET /agents`, `GET /agents/{id}`,
//! `GET /agents/{id}/perception`.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use shared::{AgentId, AgentView, Snapshot, Tick};
use utoipa::IntoParams;

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiPath, ApiQuery};
use crate::state::AppState;
use crate::world::Perception;

/// The whole world: map size, landmarks and every agent.
#[utoipa::path(get, path = "/world", tag = "world",
    responses((status = 200, description = "The world as of the last tick", body = Snapshot)))]
pub async fn get_world(State(state): State<AppState>) -> Result<Json<Snapshot>, ApiError> {
    Ok(Json(state.world.call(|world, _| world.snapshot()).await?))
}

/// Every agent.
#[utoipa::path(get, path = "/agents", tag = "agents",
    responses((status = 200, description = "All agents, oldest first", body = Vec<AgentView>)))]
pub async fn list_agents(State(state): State<AppState>) -> Result<Json<Vec<AgentView>>, ApiError> {
    let agents = state
        .world
        .call(|world, _| world.agents().cloned().collect())
        .await?;
    Ok(Json(agents))
}

/// One agent.
#[utoipa::path(get, path = "/agents/{id}", tag = "agents",
    params(("id" = u64, Path, description = "Agent id")),
    responses(
        (status = 200, description = "The agent", body = AgentView),
        (status = 404, description = "No such agent", body = ErrorBody)))]
pub async fn get_agent(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<u64>,
) -> Result<Json<AgentView>, ApiError> {
    let id = AgentId(id);
    let agent = state
        .world
        .call(move |world, _| world.agent(id).cloned())
        .await??;
    Ok(Json(agent))
}

/// Query of a perception.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PerceptionQuery {
    /// Tiles to look around (default 8, at most 32).
    pub radius: Option<u16>,
    /// Only speech heard after this tick.
    pub since_tick: Option<u64>,
}

/// What an agent perceives: itself, agents and landmarks nearby, speech it heard.
#[utoipa::path(get, path = "/agents/{id}/perception", tag = "agents",
    params(("id" = u64, Path, description = "Agent id"), PerceptionQuery),
    responses(
        (status = 200, description = "The agent's perception", body = Perception),
        (status = 404, description = "No such agent", body = ErrorBody),
        (status = 422, description = "Radius over the limit", body = ErrorBody)))]
pub async fn get_perception(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<u64>,
    ApiQuery(query): ApiQuery<PerceptionQuery>,
) -> Result<Json<Perception>, ApiError> {
    let id = AgentId(id);
    let since = query.since_tick.map(Tick);
    let perception = state
        .world
        .call(move |world, _| world.perceive(id, query.radius, since))
        .await??;
    Ok(Json(perception))
}
