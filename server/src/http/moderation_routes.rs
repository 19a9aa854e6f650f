//! Moderation of the board and task chats: `POST /board/posts/{id}/moderate`,
//! `POST /board/replies/{id}/moderate`, `POST /moderation/chat-messages/{id}`, and the queue
//! the compliance guard fills,
//! `GET /moderation/queue` and `GET /moderation/decisions`: each parses, calls
//! `board::moderation` and answers, and a [`ModerationError`] becomes its status and code
//! here. Moderators and admins only; every decision is audited with who decided and why, and a
//! refusal is audited too.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use shared::{BoardPost, BoardReply, ChatMessage, MessageId, ReplyId};
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery};
use crate::auth::Principal;
use crate::board::moderation::ModerationError;
pub use crate::board::moderation::{
    DECISIONS_PAGE_MAX, DecisionPage, MODERATION_REASON_CHARS_MAX, ModerationAction,
    REVIEW_QUEUE_ITEMS_MAX, ReplyModerationAction, ReviewItem, ReviewQueuePage,
};
use crate::state::AppState;

impl From<ModerationError> for ApiError {
    fn from(error: ModerationError) -> Self {
        let message = error.to_string();
        match error {
            ModerationError::NotStaff(error) => error.into(),
            ModerationError::Field(error) => error.into(),
            ModerationError::UnknownPost(_) => Self::not_found("unknown_post", message),
            ModerationError::UnknownReply(_) => Self::not_found("unknown_reply", message),
            ModerationError::UnknownMessage(_) => Self::not_found("unknown_message", message),
            ModerationError::Store(error) => error.into(),
        }
    }
}

/// A moderation, with the reason shown on the post and kept in the audit log.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModerateRequest {
    pub action: ModerationAction,
    /// Shown on it and kept in the audit log: one line of 1 to 500 characters once trimmed,
    /// no control characters.
    #[schema(
        min_length = 1,
        max_length = 500,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    pub reason: String,
}

/// A moderation of a reply, with its reason.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModerateReplyRequest {
    pub action: ReplyModerationAction,
    /// Shown on it and kept in the audit log: one line of 1 to 500 characters once trimmed,
    /// no control characters.
    #[schema(
        min_length = 1,
        max_length = 500,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    pub reason: String,
}

/// Filters of the decisions listing.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DecisionParams {
    /// `post:3` (its replies too), `post:3/reply:9`, `chat:2/message:5` or `refused:board.post`.
    pub target: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<u64>,
    /// Decisions per page (default 50, at most 200; larger asks get 200).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// Approves, hides, locks, resolves or reopens a post, with a reason; it leaves the moderation
/// queue. Moderators and admins only.
#[utoipa::path(post, path = "/board/posts/{id}/moderate", tag = "board",
    request_body = ModerateRequest,
    params(("id" = u64, Path, description = "Post id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The post as it now stands", body = BoardPost),
        (status = 403, description = "Not a moderator (`forbidden_role`)", body = ErrorBody),
        (status = 404, description = "No such post (`unknown_post`)", body = ErrorBody),
        (status = 422, description = "A bad reason (`invalid_field`)", body = ErrorBody)))]
pub async fn moderate(
    principal: Principal,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<u64>,
    ApiJson(request): ApiJson<ModerateRequest>,
) -> Result<Json<BoardPost>, ApiError> {
    let desk = state.moderation_desk();
    let (action, reason) = (request.action, &request.reason);
    Ok(Json(
        desk.moderate_post(&principal, id, action, reason).await?,
    ))
}

/// Approves or hides a reply, with a reason; it leaves the moderation queue. Moderators and
/// admins only.
#[utoipa::path(post, path = "/board/replies/{id}/moderate", tag = "board",
    request_body = ModerateReplyRequest,
    params(("id" = u64, Path, description = "Reply id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The reply as it now stands", body = BoardReply),
        (status = 403, description = "Not a moderator (`forbidden_role`)", body = ErrorBody),
        (status = 404, description = "No such reply (`unknown_reply`)", body = ErrorBody),
        (status = 422, description = "A bad reason (`invalid_field`)", body = ErrorBody)))]
pub async fn moderate_reply(
    principal: Principal,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<u64>,
    ApiJson(request): ApiJson<ModerateReplyRequest>,
) -> Result<Json<BoardReply>, ApiError> {
    let desk = state.moderation_desk();
    let (action, reason) = (request.action, &request.reason);
    Ok(Json(
        desk.moderate_reply(&principal, ReplyId(id), action, reason)
            .await?,
    ))
}

/// Posts, replies and chat messages the compliance guard held or labelled, oldest first, with
/// its findings. Moderators and admins only.
#[utoipa::path(get, path = "/moderation/queue", tag = "board",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The queue", body = ReviewQueuePage),
        (status = 403, description = "Not a moderator (`forbidden_role`)", body = ErrorBody)))]
pub async fn review_queue(
    principal: Principal,
    State(state): State<AppState>,
) -> Result<Json<ReviewQueuePage>, ApiError> {
    Ok(Json(
        state.moderation_desk().review_queue(&principal).await?,
    ))
}

/// Approves or hides a task chat message, with a reason; it leaves the moderation queue. An
/// approved held message reaches the chat's other member. Moderators and admins only.
#[utoipa::path(post, path = "/moderation/chat-messages/{id}", tag = "chats",
    request_body = ModerateReplyRequest,
    params(("id" = u64, Path, description = "Chat message id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The message as it now stands", body = ChatMessage),
        (status = 403, description = "Not a moderator (`forbidden_role`)", body = ErrorBody),
        (status = 404, description = "No such message (`unknown_message`)", body = ErrorBody),
        (status = 422, description = "A bad reason (`invalid_field`)", body = ErrorBody)))]
pub async fn moderate_chat_message(
    principal: Principal,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<u64>,
    ApiJson(request): ApiJson<ModerateReplyRequest>,
) -> Result<Json<ChatMessage>, ApiError> {
    let desk = state.moderation_desk();
    let (action, reason) = (request.action, &request.reason);
    let message = desk
        .moderate_chat_message(&principal, MessageId(id), action, reason)
        .await?;
    Ok(Json(message))
}

/// Every decision of the compliance guard, newest first, refused texts included. Moderators and
/// admins only.
#[utoipa::path(get, path = "/moderation/decisions", tag = "board", params(DecisionParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of decisions", body = DecisionPage),
        (status = 403, description = "Not a moderator (`forbidden_role`)", body = ErrorBody)))]
pub async fn list_decisions(
    principal: Principal,
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<DecisionParams>,
) -> Result<Json<DecisionPage>, ApiError> {
    let desk = state.moderation_desk();
    let target = params.target.as_deref();
    let page = desk
        .decisions(&principal, target, params.cursor, params.limit)
        .await?;
    Ok(Json(page))
}
