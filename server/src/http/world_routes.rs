//! Reads of the world: `GET /world`, `GET /agents`, `GET /agents/{id}`,
//! `GET /agents/{id}/perception`.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use shared::api::{AgentDetail, AgentPerception, BOARD_FEED_ITEMS_MAX, BoardFeed};
use shared::{AgentId, AgentView, Snapshot, Tick};
use utoipa::IntoParams;

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiPath, ApiQuery};
use crate::auth::{Principal, Viewer};
use crate::state::AppState;

/// The whole world: map size, landmarks and every agent.
#[utoipa::path(get, path = "/world", tag = "world",
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The world as of the last tick", body = Snapshot),
        (status = 503, description = "The world did not answer in time (`world_unavailable`)", body = ErrorBody)))]
pub async fn get_world(
    _viewer: Viewer,
    State(state): State<AppState>,
) -> Result<Json<Snapshot>, ApiError> {
    Ok(Json(state.world.call(|world, _| world.snapshot()).await?))
}

/// Every agent.
#[utoipa::path(get, path = "/agents", tag = "agents",
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "All agents, oldest first", body = Vec<AgentView>),
        (status = 503, description = "The world did not answer in time (`world_unavailable`)", body = ErrorBody)))]
pub async fn list_agents(
    _viewer: Viewer,
    State(state): State<AppState>,
) -> Result<Json<Vec<AgentView>>, ApiError> {
    Ok(Json(state.world.agent_views().await?))
}

/// One agent, with its balance, tier and entitlements.
#[utoipa::path(get, path = "/agents/{id}", tag = "agents",
    params(("id" = u64, Path, description = "Agent id")),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The agent", body = AgentDetail),
        (status = 404, description = "No such agent (`unknown_agent`)", body = ErrorBody),
        (status = 503, description = "The world did not answer in time (`world_unavailable`)", body = ErrorBody)))]
pub async fn get_agent(
    _viewer: Viewer,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<u64>,
) -> Result<Json<AgentDetail>, ApiError> {
    Ok(Json(state.money_desk().agent_detail(AgentId(id)).await?))
}

/// Query of a perception.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PerceptionQuery {
    /// Tiles to look around (default `limits.perception_radius_default`, 8; at most
    /// `limits.perception_radius_max`, 32; both configurable): a larger radius is 422.
    #[param(maximum = 32)]
    pub radius: Option<u16>,
    /// Only speech heard after this tick.
    pub since_tick: Option<u64>,
    /// `board.cursor` of the previous perception (`r<reply id>-p<post id>`): only board items
    /// newer than it.
    #[param(pattern = "^r[0-9]+-p[0-9]+$")]
    pub board_cursor: Option<String>,
}

/// A board cursor: the last reply id and the last post id seen, as `r<reply>-p<post>`.
fn parse_board_cursor(cursor: Option<&str>) -> Result<(u64, u64), ApiError> {
    let Some(cursor) = cursor else {
        return Ok((0, 0));
    };
    cursor
        .strip_prefix('r')
        .and_then(|rest| rest.split_once("-p"))
        .and_then(|(r, p)| Some((r.parse().ok()?, p.parse().ok()?)))
        .ok_or_else(|| {
            ApiError::unprocessable(
                "invalid_cursor",
                "board_cursor is the `board.cursor` of a previous perception, like r12-p5",
            )
        })
}

/// What an agent perceives: itself, agents and landmarks nearby, speech it heard, and new
/// board replies to its posts and posts addressed to it. Only the agent itself (or an admin)
/// may read it.
#[utoipa::path(get, path = "/agents/{id}/perception", tag = "agents",
    params(("id" = u64, Path, description = "Agent id"), PerceptionQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The agent's perception", body = AgentPerception),
        (status = 403, description = "Not this agent (`not_your_agent`)", body = ErrorBody),
        (status = 404, description = "No such agent (`unknown_agent`)", body = ErrorBody),
        (status = 422, description = "Radius over the limit (`invalid_input`) or a bad cursor (`invalid_cursor`)", body = ErrorBody),
        (status = 503, description = "The world did not answer in time (`world_unavailable`)", body = ErrorBody)))]
pub async fn get_perception(
    principal: Principal,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<u64>,
    ApiQuery(query): ApiQuery<PerceptionQuery>,
) -> Result<Json<AgentPerception>, ApiError> {
    let id = AgentId(id);
    principal.require_agent(id)?;
    let (after_reply, after_post) = parse_board_cursor(query.board_cursor.as_deref())?;
    let since = query.since_tick.map(Tick);
    let radius = query.radius;
    let world = state
        .world
        .call(move |world, _| world.perceive(id, radius, since))
        .await??;
    let replies = state
        .store
        .list_replies_to_agent(id, after_reply, BOARD_FEED_ITEMS_MAX)
        .await?;
    let posts = state
        .store
        .list_posts_to_agent(id, after_post, BOARD_FEED_ITEMS_MAX)
        .await?;
    let economy = state.money_desk().standing(id).await?;
    let last_reply = replies.last().map_or(after_reply, |r| r.id.0);
    let last_post = posts.last().map_or(after_post, |p| p.id.0);
    Ok(Json(AgentPerception {
        world,
        board: BoardFeed {
            replies_to_my_posts: replies,
            posts_to_me: posts,
            cursor: format!("r{last_reply}-p{last_post}"),
        },
        economy,
        disk: state
            .runtime_reports
            .get(id)
            .and_then(|received| received.report.disk),
    }))
}
