//! Moderation of the board and task chats: a moderator's decision on a post (approve, hide,
//! lock, resolve, reopen), a reply or a chat message (approve or hide), each with its reason,
//! audited with who decided and why and published when it makes a held text appear; and the
//! queue the compliance guard fills, with the guard's decisions. Staff (moderators and admins)
//! only, and a refusal is audited too. The API's handlers and the town hall's pages both call
//! these functions; each refusal is a [`ModerationError`], which the transports turn into their
//! answers. Nothing here knows HTTP, the WebSocket streams or the pages.

use serde::{Deserialize, Serialize};
use shared::{
    BoardEvent, BoardPost, BoardReply, ChatMessage, MessageId, PostId, PostStatus, ReplyId,
};
use utoipa::ToSchema;

use super::chats::ChatOutlet;
use super::publish::{BoardOutlets, publish};
use crate::auth::principal::AccessError;
use crate::auth::{Principal, Role};
use crate::clock::now_ms;
use crate::fields::{self, FieldError};
use crate::paging::next_cursor;
use crate::store::{AuditEntry, DecisionRecord, Moderated, Store, StoreError};

/// Longest moderation reason, in characters.
pub const MODERATION_REASON_CHARS_MAX: usize = 500;
/// Items the queue shows at most, of posts, of replies and of chat messages each.
pub const REVIEW_QUEUE_ITEMS_MAX: u32 = 100;
/// Decisions a page shows at most.
pub const DECISIONS_PAGE_MAX: u32 = 200;
/// Decisions a page shows when the reader names no limit.
pub const DECISIONS_PAGE_DEFAULT: u32 = 50;

/// Why a moderation or a look at the queue was refused.
#[derive(Debug, thiserror::Error)]
pub enum ModerationError {
    /// The caller is not staff.
    #[error(transparent)]
    NotStaff(#[from] AccessError),
    #[error(transparent)]
    Field(#[from] FieldError),
    #[error("no post {0}")]
    UnknownPost(u64),
    #[error("no reply {0}")]
    UnknownReply(ReplyId),
    #[error("no chat message {0}")]
    UnknownMessage(MessageId),
    #[error(transparent)]
    Store(#[from] StoreError),
}

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

    /// Its name, as the audit log records it.
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

/// What a moderator does to a reply or a chat message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReplyModerationAction {
    /// Show it.
    Approve,
    /// Hide it from everyone but its author and staff.
    Hide,
}

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

/// A page of decisions, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionPage {
    pub decisions: Vec<DecisionRecord>,
    pub next_cursor: Option<u64>,
}

/// What moderation uses: the store, where committed board events go, and where an approved
/// chat message goes (`AppState::moderation_desk`).
pub struct ModerationDesk<'a> {
    pub store: &'a Store,
    pub outlets: BoardOutlets<'a>,
    pub chats: ChatOutlet<'a>,
}

impl ModerationDesk<'_> {
    /// Refused unless `principal` is staff; the refusal is audited as `action` on `target`.
    async fn require_staff(
        &self,
        principal: &Principal,
        action: &str,
        target: &str,
    ) -> Result<(), ModerationError> {
        let Err(refused) = principal.require(&[Role::Moderator, Role::Admin]) else {
            return Ok(());
        };
        let audit = principal.audit(action, target.into(), "denied", "not staff".into());
        // The refusal stands even if it cannot be recorded.
        if let Err(error) = self.store.append_audit(&audit, now_ms()).await {
            tracing::error!(%error, "could not record a refused moderation");
        }
        Err(refused.into())
    }

    /// Checks an approve-or-hide by `principal` (staff only, the refusal audited as `action`)
    /// and its reason: whether it hides, the reason, and the audit entry of the decision.
    async fn approve_or_hide(
        &self,
        principal: &Principal,
        action: &str,
        target: String,
        decision: ReplyModerationAction,
        reason: &str,
    ) -> Result<(bool, String, AuditEntry), ModerationError> {
        self.require_staff(principal, action, &target).await?;
        let reason = fields::line("reason", reason, MODERATION_REASON_CHARS_MAX)?;
        let hide = decision == ReplyModerationAction::Hide;
        let verb = if hide { "hide" } else { "approve" };
        let audit = principal.audit(action, target, "ok", format!("{verb}: {reason}"));
        Ok((hide, reason, audit))
    }

    /// Approves, hides, locks, resolves or reopens post `id` for `principal`, with `reason`;
    /// it leaves the moderation queue. A held post appears now unless it is being hidden.
    pub async fn moderate_post(
        &self,
        principal: &Principal,
        id: u64,
        action: ModerationAction,
        reason: &str,
    ) -> Result<BoardPost, ModerationError> {
        let target = format!("post:{id}");
        self.require_staff(principal, "board.moderate", &target)
            .await?;
        let reason = fields::line("reason", reason, MODERATION_REASON_CHARS_MAX)?;
        let detail = format!("{}: {reason}", action.as_str());
        let audit = principal.audit("board.moderate", target, "ok", detail);
        let Moderated {
            item: post,
            was_held,
        } = self
            .store
            .moderate_post(PostId(id), action.status(), &reason, &audit, now_ms())
            .await?
            .ok_or(ModerationError::UnknownPost(id))?;
        // A post that was held was never published: it appears now, unless it is being hidden.
        let event = match (was_held, post.status) {
            (true, PostStatus::Moderated) => None,
            (true, _) => Some(BoardEvent::PostCreated { post: post.clone() }),
            (false, _) => Some(BoardEvent::PostModerated { post: post.clone() }),
        };
        if let Some(event) = event {
            publish(self.outlets, event).await;
        }
        Ok(post)
    }

    /// Approves or hides reply `id` for `principal`, with `reason`; it leaves the moderation
    /// queue. An approved held reply appears now.
    pub async fn moderate_reply(
        &self,
        principal: &Principal,
        id: ReplyId,
        decision: ReplyModerationAction,
        reason: &str,
    ) -> Result<BoardReply, ModerationError> {
        let target = format!("reply:{id}");
        let (hide, reason, audit) = self
            .approve_or_hide(principal, "board.moderate_reply", target, decision, reason)
            .await?;
        let Moderated {
            item: reply,
            was_held,
        } = self
            .store
            .moderate_reply(id, hide, &reason, &audit, now_ms())
            .await?
            .ok_or(ModerationError::UnknownReply(id))?;
        // A held reply was never published: an approved one appears now.
        if was_held && !hide {
            let event = BoardEvent::ReplyAdded {
                reply: reply.clone(),
            };
            publish(self.outlets, event).await;
        }
        Ok(reply)
    }

    /// Approves or hides task chat message `id` for `principal`, with `reason`; it leaves the
    /// moderation queue. An approved held message reaches the chat's other member.
    pub async fn moderate_chat_message(
        &self,
        principal: &Principal,
        id: MessageId,
        decision: ReplyModerationAction,
        reason: &str,
    ) -> Result<ChatMessage, ModerationError> {
        let target = format!("chat_message:{id}");
        let action = "chat.moderate_message";
        let (hide, reason, audit) = self
            .approve_or_hide(principal, action, target, decision, reason)
            .await?;
        let Moderated {
            item: message,
            was_held,
        } = self
            .store
            .moderate_chat_message(id, hide, &reason, &audit, now_ms())
            .await?
            .ok_or(ModerationError::UnknownMessage(id))?;
        if was_held && !hide {
            let chat = self.store.find_chat(message.chat_id).await?;
            let chat = chat.ok_or(ModerationError::UnknownMessage(id))?;
            self.chats.deliver(&chat, message.clone());
        }
        Ok(message)
    }

    /// Posts, replies and chat messages the compliance guard held or labelled, oldest first,
    /// each with the guard's decisions on it. Staff only.
    pub async fn review_queue(
        &self,
        principal: &Principal,
    ) -> Result<ReviewQueuePage, ModerationError> {
        self.require_staff(principal, "moderation.queue", "")
            .await?;
        let queue = self.store.list_review_queue(REVIEW_QUEUE_ITEMS_MAX).await?;
        let chat_messages = self
            .store
            .list_chat_review_queue(REVIEW_QUEUE_ITEMS_MAX)
            .await?;
        Ok(ReviewQueuePage {
            posts: self
                .with_decisions(queue.posts, |p| format!("post:{}", p.id))
                .await?,
            replies: self
                .with_decisions(queue.replies, |r| {
                    format!("post:{}/reply:{}", r.post_id, r.id)
                })
                .await?,
            chat_messages: self
                .with_decisions(chat_messages, |m| {
                    format!("chat:{}/message:{}", m.chat_id, m.id)
                })
                .await?,
        })
    }

    /// Each item with the decisions recorded on exactly its target.
    async fn with_decisions<T>(
        &self,
        items: Vec<T>,
        target: impl Fn(&T) -> String,
    ) -> Result<Vec<ReviewItem<T>>, ModerationError> {
        let mut reviewed = Vec::with_capacity(items.len());
        for item in items {
            let decisions = self
                .store
                .list_decisions(Some(&target(&item)), false, None, DECISIONS_PAGE_MAX)
                .await?;
            reviewed.push(ReviewItem { item, decisions });
        }
        Ok(reviewed)
    }

    /// A page of the compliance guard's decisions, newest first, refused texts included: on
    /// `target` (and what lies under it) if named, before decision `cursor` if named, `limit`
    /// of them (default 50, at most 200). Staff only.
    pub async fn decisions(
        &self,
        principal: &Principal,
        target: Option<&str>,
        cursor: Option<u64>,
        limit: Option<u32>,
    ) -> Result<DecisionPage, ModerationError> {
        self.require_staff(principal, "moderation.decisions", "")
            .await?;
        let limit = limit
            .unwrap_or(DECISIONS_PAGE_DEFAULT)
            .clamp(1, DECISIONS_PAGE_MAX);
        let decisions = self
            .store
            .list_decisions(target, true, cursor, limit)
            .await?;
        let next_cursor = next_cursor(&decisions, limit, |d| d.id);
        Ok(DecisionPage {
            decisions,
            next_cursor,
        })
    }
}
