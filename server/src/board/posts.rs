//! Posts and replies: writing one (fields checked, the author's right to write, the compliance
//! guard, stored with its audit entry, published unless held) and reading them as the reader
//! may see them. The API's handlers and the town hall's pages both call these functions; each
//! refusal is a [`PostError`], which the transports turn into their answers.

use shared::api::{
    CreatePostRequest, CreateReplyRequest, PostListQuery, PostPage, PostWithReplies,
};
use shared::{Audience, Author, BoardEvent, BoardPost, BoardReply, PostId, PostStatus};

use super::publish::{BoardOutlets, publish};
use super::rules::{self, BoardError};
use super::screen::{ComplianceRefusal, Screener, screen};
use super::settings::BoardSettings;
use crate::auth::{Principal, Role, Viewer};
use crate::clock::now_ms;
use crate::fields::{self, FieldError};
use crate::paging::next_cursor;
use crate::store::{BoardQuery, NewPost, NewReply, ReplyRefused, Store, StoreError};
use crate::world::WorldHandle;

/// Posts per page when a listing names no limit.
pub const PAGE_SIZE_DEFAULT: u32 = 20;

/// Why the board refused a read or a write.
#[derive(Debug, thiserror::Error)]
pub enum PostError {
    #[error("the {0} role does not write on the board")]
    RoleMayNotWrite(Role),
    #[error("no post {0}")]
    UnknownPost(PostId),
    #[error("post {post} is {} and takes no replies", .status.as_str())]
    ThreadLocked { post: PostId, status: PostStatus },
    #[error("post {post} holds the most replies allowed ({max})")]
    ThreadFull { post: PostId, max: u32 },
    #[error("{0}")]
    InvalidFilter(String),
    #[error(transparent)]
    Board(#[from] BoardError),
    #[error(transparent)]
    Field(#[from] FieldError),
    #[error(transparent)]
    Refused(#[from] ComplianceRefusal),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the board's reads and writes use: its limits, the store, the world (where agents
/// stand), the compliance guard and where committed events go (`AppState::board_desk`).
pub struct BoardDesk<'a> {
    pub settings: &'a BoardSettings,
    pub store: &'a Store,
    pub world: &'a WorldHandle,
    pub screener: Screener<'a>,
    pub outlets: BoardOutlets<'a>,
}

impl BoardDesk<'_> {
    /// Who is writing: their authorship as stored, checked against the board's rules (people
    /// with a writing role; agents standing on the board landmark).
    async fn author_of(&self, principal: &Principal) -> Result<Author, PostError> {
        if !principal.role.may_post() {
            return Err(PostError::RoleMayNotWrite(principal.role));
        }
        let at_board = self.settings.agents_post_at_board_only;
        Ok(rules::author(self.world, principal, at_board).await?)
    }

    /// Puts a post on the board for `principal`; published at once unless the guard held it.
    pub async fn create_post(
        &self,
        principal: &Principal,
        request: CreatePostRequest,
    ) -> Result<BoardPost, PostError> {
        let limits = self.settings;
        let title = fields::line("title", &request.title, limits.board_title_chars_max)?;
        let body = fields::body("body", &request.body, limits.board_body_chars_max)?;
        let tags = rules::tags(&request.tags, limits)?;
        let audience = request.audience.unwrap_or(Audience::Public);
        if let Audience::Agent(agent) = audience {
            rules::agent_exists(self.world, agent).await?;
        }
        let author = self.author_of(principal).await?;
        let screened = screen(
            self.screener,
            principal,
            "board.post",
            String::new(),
            &title,
            &body,
            &tags,
        )
        .await?;
        let detail = screened.detail(&format!("audience {audience}"));
        let audit = principal.audit("board.post", String::new(), "ok", detail);
        let post = NewPost {
            author,
            audience,
            title,
            body,
            tags,
            screening: screened.screening,
        };
        let post = self.store.insert_post(&post, &audit, now_ms()).await?;
        // A held post is published when a moderator approves it.
        if !post.held {
            let event = BoardEvent::PostCreated { post: post.clone() };
            publish(self.outlets, event).await;
        }
        Ok(post)
    }

    /// A page of posts, newest first, as `viewer` may see them (hidden and held posts only to
    /// staff and their authors).
    pub async fn list_posts(
        &self,
        viewer: &Viewer,
        query: PostListQuery,
    ) -> Result<PostPage, PostError> {
        let status = query
            .status
            .as_deref()
            .map(|s| {
                PostStatus::parse(s).ok_or_else(|| {
                    PostError::InvalidFilter(format!(
                        "unknown status {s:?}: use open, closed, resolved or moderated"
                    ))
                })
            })
            .transpose()?;
        let audience = query
            .audience
            .as_deref()
            .map(|a| a.parse::<Audience>().map_err(PostError::InvalidFilter))
            .transpose()?;
        let limit = query
            .limit
            .unwrap_or(PAGE_SIZE_DEFAULT)
            .clamp(1, self.settings.board_page_size_max);
        let query = BoardQuery {
            status,
            tag: query.tag.map(|t| t.trim().to_lowercase()),
            author_account_id: query.author.map(|a| a.0),
            audience,
            before_id: query.cursor,
            limit,
            reader: viewer.reader(),
        };
        let posts = self.store.list_posts(&query).await?;
        let next_cursor = next_cursor(&posts, limit, |p| p.id.0);
        Ok(PostPage { posts, next_cursor })
    }

    /// Post `id` if `viewer` may see it: hidden and held posts are unknown to everyone but
    /// staff and the author.
    pub async fn visible_post(&self, viewer: &Viewer, id: PostId) -> Result<BoardPost, PostError> {
        let post = self.store.find_post(id).await?;
        let post = post.ok_or(PostError::UnknownPost(id))?;
        let is_author = viewer
            .0
            .as_ref()
            .is_some_and(|p| p.account_id == post.author.account_id);
        let concealed = post.status == PostStatus::Moderated || post.held;
        if concealed && !viewer.is_staff() && !is_author {
            return Err(PostError::UnknownPost(id));
        }
        Ok(post)
    }

    /// Post `id` with its replies (oldest first, up to the replies a post may hold), as
    /// `viewer` may see them.
    pub async fn post_with_replies(
        &self,
        viewer: &Viewer,
        id: PostId,
    ) -> Result<PostWithReplies, PostError> {
        let post = self.visible_post(viewer, id).await?;
        let max = self.settings.board_replies_per_post_max;
        let replies = self
            .store
            .list_replies(post.id, viewer.reader(), max)
            .await?;
        Ok(PostWithReplies { post, replies })
    }

    /// Replies under open post `id` for `principal`; published at once unless held.
    pub async fn create_reply(
        &self,
        principal: &Principal,
        id: PostId,
        request: CreateReplyRequest,
    ) -> Result<BoardReply, PostError> {
        let max = self.settings.board_replies_per_post_max;
        let chars_max = self.settings.board_reply_chars_max;
        let body = fields::body("body", &request.body, chars_max)?;
        let viewer = Viewer(Some(principal.clone()));
        let post = self.visible_post(&viewer, id).await?;
        let author = self.author_of(principal).await?;
        let target = format!("post:{id}");
        let screened = screen(
            self.screener,
            principal,
            "board.reply",
            target,
            "",
            &body,
            &[],
        )
        .await?;
        let audit = principal.audit("board.reply", String::new(), "ok", screened.detail(""));
        let reply = NewReply {
            post_id: post.id,
            author,
            body,
            replies_per_post_max: max,
            screening: screened.screening,
        };
        let reply = match self.store.insert_reply(&reply, &audit, now_ms()).await? {
            Ok(reply) => reply,
            Err(ReplyRefused::UnknownPost) => return Err(PostError::UnknownPost(id)),
            Err(ReplyRefused::NotOpen(status)) => {
                return Err(PostError::ThreadLocked { post: id, status });
            }
            Err(ReplyRefused::Full) => return Err(PostError::ThreadFull { post: id, max }),
        };
        // A held reply is published when a moderator approves it.
        if !reply.held {
            let event = BoardEvent::ReplyAdded {
                reply: reply.clone(),
            };
            publish(self.outlets, event).await;
        }
        Ok(reply)
    }
}
