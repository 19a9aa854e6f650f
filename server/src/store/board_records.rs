//! The bulletin board's rows as stored and as the protocol shows them, and what a caller hands
//! the store to write; `board.rs` holds the queries.

use shared::{
    AccountId, AgentId, Audience, Author, BoardPost, BoardReply, PostId, PostStatus, ReplyId,
};

use super::screening::Screening;
use super::{StoreError, id_from_db, id_to_db};

/// A post to create; checked by the caller.
#[derive(Debug, Clone)]
pub struct NewPost {
    pub author: Author,
    pub audience: Audience,
    pub title: String,
    pub body: String,
    pub tags: Vec<String>,
    /// What the compliance guard found in it.
    pub screening: Screening,
}

/// A reply to add; checked by the caller.
#[derive(Debug, Clone)]
pub struct NewReply {
    pub post_id: PostId,
    pub author: Author,
    pub body: String,
    /// Replies a post may hold.
    pub replies_per_post_max: u32,
    /// What the compliance guard found in it.
    pub screening: Screening,
}

/// Why a reply was not added.
#[derive(Debug)]
pub enum ReplyRefused {
    UnknownPost,
    NotOpen(PostStatus),
    Full,
}

/// Filters of `GET /board/posts`; every set field must match.
#[derive(Debug, Clone, Default)]
pub struct BoardQuery {
    pub status: Option<PostStatus>,
    pub tag: Option<String>,
    pub author_account_id: Option<u64>,
    pub audience: Option<Audience>,
    /// Only posts older than this id (the previous page's cursor).
    pub before_id: Option<u64>,
    pub limit: u32,
    /// Who reads: hidden and held posts show only to staff and their authors.
    pub reader: Reader,
}

/// Who reads the board: staff see everything; others see what is visible and their own.
#[derive(Debug, Clone, Copy, Default)]
pub struct Reader {
    /// Moderators and admins: hidden and held texts included.
    pub staff: bool,
    /// The reader's account, whose own hidden and held texts are included.
    pub account_id: Option<u64>,
}

impl Reader {
    /// The account bound where no one matches (anonymous readers own nothing).
    pub(super) fn account_db(self) -> i64 {
        self.account_id.map(id_to_db).unwrap_or(-1)
    }
}

/// A post row as stored.
#[derive(Debug, sqlx::FromRow)]
pub struct PostRecord {
    pub(super) id: i64,
    author_account_id: i64,
    author_role: String,
    author_agent_id: Option<i64>,
    author_name: String,
    audience: String,
    audience_agent_id: Option<i64>,
    title: String,
    body: String,
    tags: String,
    status: String,
    reply_count: i64,
    moderation_reason: Option<String>,
    created_at_ms: i64,
    updated_at_ms: i64,
    held: i64,
    labels: String,
}

/// A reply row as stored.
#[derive(Debug, sqlx::FromRow)]
pub struct ReplyRecord {
    pub(super) id: i64,
    post_id: i64,
    author_account_id: i64,
    author_role: String,
    author_agent_id: Option<i64>,
    author_name: String,
    body: String,
    created_at_ms: i64,
    held: i64,
    labels: String,
    hidden: i64,
}

pub const POST_COLUMNS: &str = "id, author_account_id, author_role, author_agent_id, \
    author_name, audience, audience_agent_id, title, body, tags, status, reply_count, \
    moderation_reason, created_at_ms, updated_at_ms, held, labels";
pub const REPLY_COLUMNS: &str = "id, post_id, author_account_id, author_role, \
    author_agent_id, author_name, body, created_at_ms, held, labels, hidden";

fn author_from_db(
    account_id: i64,
    role: String,
    agent_id: Option<i64>,
    name: String,
) -> Result<Author, StoreError> {
    Ok(Author {
        account_id: AccountId(id_from_db(account_id, "account")?),
        role,
        agent_id: agent_id
            .map(|id| id_from_db(id, "agent").map(AgentId))
            .transpose()?,
        name,
    })
}

/// Labels as stored: rule names joined by commas (rule names hold none).
pub fn labels_to_db(labels: &[String]) -> String {
    labels.join(",")
}

pub fn labels_from_db(labels: &str) -> Vec<String> {
    labels
        .split(',')
        .filter(|label| !label.is_empty())
        .map(str::to_string)
        .collect()
}

impl PostRecord {
    pub fn into_post(self) -> Result<BoardPost, StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("post {}: {what}", self.id));
        let audience = match (self.audience.as_str(), self.audience_agent_id) {
            ("agent", Some(id)) => Audience::Agent(AgentId(id_from_db(id, "agent")?)),
            (other, None) => other.parse().map_err(|_| corrupt("bad audience"))?,
            _ => return Err(corrupt("bad audience")),
        };
        let status = PostStatus::parse(&self.status).ok_or_else(|| corrupt("bad status"))?;
        let tags: Vec<String> =
            serde_json::from_str(&self.tags).map_err(|_| corrupt("bad tags JSON"))?;
        Ok(BoardPost {
            id: PostId(id_from_db(self.id, "post")?),
            author: author_from_db(
                self.author_account_id,
                self.author_role,
                self.author_agent_id,
                self.author_name,
            )?,
            audience,
            title: self.title,
            body: self.body,
            tags,
            status,
            reply_count: u32::try_from(self.reply_count).map_err(|_| corrupt("bad count"))?,
            moderation_reason: self.moderation_reason,
            created_at_ms: self.created_at_ms,
            updated_at_ms: self.updated_at_ms,
            held: self.held != 0,
            labels: labels_from_db(&self.labels),
        })
    }
}

impl ReplyRecord {
    pub fn into_reply(self) -> Result<BoardReply, StoreError> {
        Ok(BoardReply {
            id: ReplyId(id_from_db(self.id, "reply")?),
            post_id: PostId(id_from_db(self.post_id, "post")?),
            author: author_from_db(
                self.author_account_id,
                self.author_role,
                self.author_agent_id,
                self.author_name,
            )?,
            body: self.body,
            created_at_ms: self.created_at_ms,
            held: self.held != 0,
            labels: labels_from_db(&self.labels),
            hidden: self.hidden != 0,
        })
    }
}

/// The audience as its two columns.
pub fn audience_to_db(audience: Audience) -> (&'static str, Option<i64>) {
    match audience {
        Audience::Public => ("public", None),
        Audience::Agents => ("agents", None),
        Audience::Humans => ("humans", None),
        Audience::Agent(id) => ("agent", Some(id_to_db(id.0))),
    }
}
