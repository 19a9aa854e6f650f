//! Moderation of the board and task chats: `POST /board/posts/{id}/moderate`,
//! `POST /board/replies/{id}/moderate`, `POST /moderation/chat-messages/{id}`, and the queue
//! the compliance guard fills,
//! `GET /moderation/queue` and `GET /moderation/decisions`. Moderators and admins only; every
//! decision is audited with who decided and why, and a refusal is audited too.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use shared::{BoardEvent, BoardPost, BoardReply, ChatMessage, PostId, PostStatus};
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery};
use crate::paging::next_cursor;
use crate::auth::{Principal, Role};
use crate::board::publish::publish;
use crate::clock::now_ms;
use crate::fields;
use crate::http::chat_routes::deliver;
use crate::state::AppState;
use crate::store::{AuditEntry, DecisionRecord, Moderated};

/// What a moderator does to a post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ModerationAction {
    /// Show a held or labelled post as it stands.
    Approve,
    /// Hide it from everyone but its author and staff (status `moderated`).
    Hide,
    /// Close it to replies (status `closed`).
    Lock,
    /// Mark it answered (status `resolved`).
    Resolve,
    /// Open it again (status `open`).
    Reopen,
}

impl ModerationAction {
    /// The status it sets; approving keeps the status.
    fn status(self) -> Option<PostStatus> {
        match self {
            ModerationAction::Approve => None,
            ModerationAction::Hide => Some(PostStatus::Moderated),
            ModerationAction::Lock => Some(PostStatus::Closed),
            ModerationAction::Resolve => Some(PostStatus::Resolved),
            ModerationAction::Reopen => Some(PostStatus::Open),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ModerationAction::Approve => "approve",
            ModerationAction::Hide => "hide",
            ModerationAction::Lock => "lock",
            ModerationAction::Resolve => "resolve",
            ModerationAction::Reopen => "reopen",
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

/// What a moderator does to a reply or a chat message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReplyModerationAction {
    /// Show it.
    Approve,
    /// Hide it from everyone but its author and staff.
    Hide,
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

/// Longest moderation reason, in characters.
pub const MODERATION_REASON_CHARS_MAX: usize = 500;

/// Items the queue shows at most, of posts and of replies each.
pub const REVIEW_QUEUE_ITEMS_MAX: u32 = 100;

/// A held or labelled text and what the guard found in it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewItem<T> {
    pub item: T,
    pub decisions: Vec<DecisionRecord>,
}

/// The moderation queue, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewQueuePage {
    pub posts: Vec<ReviewItem<BoardPost>>,
    pub replies: Vec<ReviewItem<BoardReply>>,
    /// Task chat messages: moderators see a chat's held or labelled messages here, and only
    /// those.
    pub chat_messages: Vec<ReviewItem<ChatMessage>>,
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

/// A page of decisions, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionPage {
    pub decisions: Vec<DecisionRecord>,
    pub next_cursor: Option<u64>,
}

/// 403 unless staff; the refusal is audited as `action` on `target`.
async fn require_staff(
    state: &AppState,
    principal: &Principal,
    action: &str,
    target: &str,
) -> Result<(), ApiError> {
    let Err(refused) = principal.require(&[Role::Moderator, Role::Admin]) else {
        return Ok(());
    };
    let audit = principal.audit(action, target.into(), "denied", "not staff".into());
    // The refusal stands even if it cannot be recorded.
    if let Err(error) = state.store.append_audit(&audit, now_ms()).await {
        tracing::error!(%error, "could not record a refused moderation");
    }
    Err(refused.into())
}

/// Checks an approve-or-hide by `principal` (staff only, the refusal audited as `action`) and
/// its reason: whether it hides, the reason, and the audit entry of the decision.
async fn approve_or_hide(
    state: &AppState,
    principal: &Principal,
    action: &str,
    target: String,
    request: ModerateReplyRequest,
) -> Result<(bool, String, AuditEntry), ApiError> {
    require_staff(state, principal, action, &target).await?;
    let reason = fields::line("reason", &request.reason, MODERATION_REASON_CHARS_MAX)?;
    let hide = request.action == ReplyModerationAction::Hide;
    let verb = if hide { "hide" } else { "approve" };
    let audit = principal.audit(action, target, "ok", format!("{verb}: {reason}"));
    Ok((hide, reason, audit))
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
    let target = format!("post:{id}");
    require_staff(&state, &principal, "board.moderate", &target).await?;
    let reason = fields::line("reason", &request.reason, MODERATION_REASON_CHARS_MAX)?;
    let status = request.action.status();
    let audit = principal.audit(
        "board.moderate",
        target,
        "ok",
        format!("{}: {reason}", request.action.as_str()),
    );
    let Moderated {
        item: post,
        was_held,
    } = state
        .store
        .moderate_post(PostId(id), status, &reason, &audit, now_ms())
        .await?
        .ok_or_else(|| ApiError::not_found("unknown_post", format!("no post {id}")))?;
    // A post that was held was never published: it appears now, unless it is being hidden.
    let event = match (was_held, post.status) {
        (true, PostStatus::Moderated) => None,
        (true, _) => Some(BoardEvent::PostCreated { post: post.clone() }),
        (false, _) => Some(BoardEvent::PostModerated { post: post.clone() }),
    };
    if let Some(event) = event {
        publish(state.board_outlets(), event).await;
    }
    Ok(Json(post))
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
    let (hide, reason, audit) = approve_or_hide(
        &state,
        &principal,
        "board.moderate_reply",
        format!("reply:{id}"),
        request,
    )
    .await?;
    let Moderated {
        item: reply,
        was_held,
    } = state
        .store
        .moderate_reply(id, hide, &reason, &audit, now_ms())
        .await?
        .ok_or_else(|| ApiError::not_found("unknown_reply", format!("no reply {id}")))?;
    // A held reply was never published: an approved one appears now.
    if was_held && !hide {
        let event = BoardEvent::ReplyAdded {
            reply: reply.clone(),
        };
        publish(state.board_outlets(), event).await;
    }
    Ok(Json(reply))
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
    require_staff(&state, &principal, "moderation.queue", "").await?;
    let queue = state
        .store
        .list_review_queue(REVIEW_QUEUE_ITEMS_MAX)
        .await?;
    let chat_messages = state
        .store
        .list_chat_review_queue(REVIEW_QUEUE_ITEMS_MAX)
        .await?;
    Ok(Json(ReviewQueuePage {
        posts: with_decisions(&state, queue.posts, |p| format!("post:{}", p.id)).await?,
        replies: with_decisions(&state, queue.replies, |r| {
            format!("post:{}/reply:{}", r.post_id, r.id)
        })
        .await?,
        chat_messages: with_decisions(&state, chat_messages, |m| {
            format!("chat:{}/message:{}", m.chat_id, m.id)
        })
        .await?,
    }))
}

/// Each item with the decisions recorded on exactly its target.
async fn with_decisions<T>(
    state: &AppState,
    items: Vec<T>,
    target: impl Fn(&T) -> String,
) -> Result<Vec<ReviewItem<T>>, ApiError> {
    let mut reviewed = Vec::with_capacity(items.len());
    for item in items {
        let decisions = state
            .store
            .list_decisions(Some(&target(&item)), false, None, DECISIONS_PAGE_MAX)
            .await?;
        reviewed.push(ReviewItem { item, decisions });
    }
    Ok(reviewed)
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
    let (hide, reason, audit) = approve_or_hide(
        &state,
        &principal,
        "chat.moderate_message",
        format!("chat_message:{id}"),
        request,
    )
    .await?;
    let unknown = || ApiError::not_found("unknown_message", format!("no chat message {id}"));
    let Moderated {
        item: message,
        was_held,
    } = state
        .store
        .moderate_chat_message(id, hide, &reason, &audit, now_ms())
        .await?
        .ok_or_else(unknown)?;
    if was_held && !hide {
        let chat = state
            .store
            .find_chat(message.chat_id)
            .await?
            .ok_or_else(unknown)?;
        deliver(&state, &chat, message.clone());
    }
    Ok(Json(message))
}

/// Decisions a page shows at most.
pub const DECISIONS_PAGE_MAX: u32 = 200;

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
    require_staff(&state, &principal, "moderation.decisions", "").await?;
    let limit = params.limit.unwrap_or(50).clamp(1, DECISIONS_PAGE_MAX);
    let decisions = state
        .store
        .list_decisions(params.target.as_deref(), true, params.cursor, limit)
        .await?;
    let next_cursor = next_cursor(&decisions, limit, |d| d.id);
    Ok(Json(DecisionPage {
        decisions,
        next_cursor,
    }))
}
