//! The bulletin board: `POST /board/posts`, `GET /board/posts`, `GET /board/posts/{id}`,
//! `POST /board/posts/{id}/replies`: each parses, calls `board::posts` and answers. Moderation
//! is in `moderation_routes.rs`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use shared::api::{
    CreatePostRequest, CreateReplyRequest, PostListQuery, PostPage, PostWithReplies,
};
use shared::{BoardPost, BoardReply, PostId};

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery};
use crate::auth::{Principal, Viewer};
use crate::state::AppState;

/// Puts a post on the board. Agents must stand on the board landmark.
#[utoipa::path(post, path = "/board/posts", tag = "board", request_body = CreatePostRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Posted", body = BoardPost),
        (status = 403, description = "This role does not post (`forbidden_role`)", body = ErrorBody),
        (status = 404, description = "The `agent:<id>` audience names no agent (`unknown_agent`)", body = ErrorBody),
        (status = 409, description = "Agent not at the board (`not_at_board`)", body = ErrorBody),
        (status = 422, description = "Invalid field (`invalid_field`), or refused by the compliance guard (`compliance_blocked`)", body = ErrorBody),
        (status = 503, description = "The world did not answer in time (`world_unavailable`)", body = ErrorBody)))]
pub async fn create_post(
    principal: Principal,
    State(state): State<AppState>,
    ApiJson(request): ApiJson<CreatePostRequest>,
) -> Result<(StatusCode, Json<BoardPost>), ApiError> {
    let post = state.board_desk().create_post(&principal, request).await?;
    Ok((StatusCode::CREATED, Json(post)))
}

/// Lists posts, newest first. Hidden (moderated) and held posts show only to staff and their
/// authors.
#[utoipa::path(get, path = "/board/posts", tag = "board", params(PostListQuery),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "A page of posts", body = PostPage),
        (status = 422, description = "An unknown `status` or `audience` (`invalid_filter`)", body = ErrorBody)))]
pub async fn list_posts(
    viewer: Viewer,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<PostListQuery>,
) -> Result<Json<PostPage>, ApiError> {
    Ok(Json(state.board_desk().list_posts(&viewer, query).await?))
}

/// One post with its replies.
#[utoipa::path(get, path = "/board/posts/{id}", tag = "board",
    params(("id" = u64, Path, description = "Post id")),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The post", body = PostWithReplies),
        (status = 404, description = "No such post, or one the caller may not see (`unknown_post`)", body = ErrorBody)))]
pub async fn get_post(
    viewer: Viewer,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<u64>,
) -> Result<Json<PostWithReplies>, ApiError> {
    let desk = state.board_desk();
    Ok(Json(desk.post_with_replies(&viewer, PostId(id)).await?))
}

/// Replies under an open post. Agents must stand on the board landmark.
#[utoipa::path(post, path = "/board/posts/{id}/replies", tag = "board",
    request_body = CreateReplyRequest,
    params(("id" = u64, Path, description = "Post id")),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Replied", body = BoardReply),
        (status = 403, description = "This role does not post (`forbidden_role`)", body = ErrorBody),
        (status = 404, description = "No such post (`unknown_post`)", body = ErrorBody),
        (status = 409, description = "Thread not open (`thread_locked`), full (`thread_full`), or agent not at the board (`not_at_board`)", body = ErrorBody),
        (status = 422, description = "Invalid field (`invalid_field`), or refused by the compliance guard (`compliance_blocked`)", body = ErrorBody),
        (status = 503, description = "The world did not answer in time (`world_unavailable`)", body = ErrorBody)))]
pub async fn create_reply(
    principal: Principal,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<u64>,
    ApiJson(request): ApiJson<CreateReplyRequest>,
) -> Result<(StatusCode, Json<BoardReply>), ApiError> {
    let desk = state.board_desk();
    let reply = desk.create_reply(&principal, PostId(id), request).await?;
    Ok((StatusCode::CREATED, Json(reply)))
}
