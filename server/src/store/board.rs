//! Queries on the bulletin board (`board_posts`, `board_post_tags`, `board_replies`), one
//! function per query. Each write records its audit entry in the same transaction.

use shared::{AgentId, Audience, Author, BoardPost, BoardReply, PostId, PostStatus};

use super::audit::{AuditEntry, audit_insert};
use super::{Store, StoreError, id_from_db, id_to_db, with_pool};

/// A post to create; checked by the caller.
#[derive(Debug, Clone)]
pub struct NewPost {
    pub author: Author,
    pub audience: Audience,
    pub title: String,
    pub body: String,
    pub tags: Vec<String>,
}

/// A reply to add; checked by the caller.
#[derive(Debug, Clone)]
pub struct NewReply {
    pub post_id: PostId,
    pub author: Author,
    pub body: String,
    /// Replies a post may hold.
    pub replies_per_post_max: u32,
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
    /// Include moderated (hidden) posts: for moderators and admins.
    pub include_hidden: bool,
    /// Also include this account's own hidden posts.
    pub viewer_account_id: Option<u64>,
}

/// A post row as stored.
#[derive(Debug, sqlx::FromRow)]
pub struct PostRecord {
    id: i64,
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
}

/// A reply row as stored.
#[derive(Debug, sqlx::FromRow)]
pub struct ReplyRecord {
    id: i64,
    post_id: i64,
    author_account_id: i64,
    author_role: String,
    author_agent_id: Option<i64>,
    author_name: String,
    body: String,
    created_at_ms: i64,
}

const POST_COLUMNS: &str = "id, author_account_id, author_role, author_agent_id, author_name, \
    audience, audience_agent_id, title, body, tags, status, reply_count, moderation_reason, \
    created_at_ms, updated_at_ms";
const REPLY_COLUMNS: &str = "id, post_id, author_account_id, author_role, author_agent_id, author_name, body, created_at_ms";

fn author_from_db(
    account_id: i64,
    role: String,
    agent_id: Option<i64>,
    name: String,
) -> Result<Author, StoreError> {
    Ok(Author {
        account_id: id_from_db(account_id, "account")?,
        role,
        agent_id: agent_id
            .map(|id| id_from_db(id, "agent").map(AgentId))
            .transpose()?,
        name,
    })
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
        })
    }
}

impl ReplyRecord {
    pub fn into_reply(self) -> Result<BoardReply, StoreError> {
        Ok(BoardReply {
            id: id_from_db(self.id, "reply")?,
            post_id: PostId(id_from_db(self.post_id, "post")?),
            author: author_from_db(
                self.author_account_id,
                self.author_role,
                self.author_agent_id,
                self.author_name,
            )?,
            body: self.body,
            created_at_ms: self.created_at_ms,
        })
    }
}

/// The audience as its two columns.
fn audience_to_db(audience: Audience) -> (&'static str, Option<i64>) {
    match audience {
        Audience::Public => ("public", None),
        Audience::Agents => ("agents", None),
        Audience::Humans => ("humans", None),
        Audience::Agent(id) => ("agent", Some(id_to_db(id.0))),
    }
}

impl Store {
    /// Creates a post with its tags and audit entry, in one transaction.
    pub async fn insert_post(
        &self,
        post: &NewPost,
        audit: &AuditEntry,
        now_ms: i64,
    ) -> Result<BoardPost, StoreError> {
        let (audience, audience_agent_id) = audience_to_db(post.audience);
        let tags = serde_json::to_string(&post.tags)
            .map_err(|e| StoreError::Corrupt(format!("tags: {e}")))?;
        let sql = format!(
            "INSERT INTO board_posts (author_account_id, author_role, author_agent_id, \
             author_name, audience, audience_agent_id, title, body, tags, created_at_ms, \
             updated_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) \
             RETURNING {POST_COLUMNS}"
        );
        let record: PostRecord = with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let record: PostRecord = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id_to_db(post.author.account_id))
                .bind(&post.author.role)
                .bind(post.author.agent_id.map(|id| id_to_db(id.0)))
                .bind(&post.author.name)
                .bind(audience)
                .bind(audience_agent_id)
                .bind(&post.title)
                .bind(&post.body)
                .bind(&tags)
                .bind(now_ms)
                .fetch_one(&mut *tx)
                .await?;
            for tag in &post.tags {
                sqlx::query("INSERT INTO board_post_tags (post_id, tag) VALUES ($1, $2)")
                    .bind(record.id)
                    .bind(tag)
                    .execute(&mut *tx)
                    .await?;
            }
            let mut audit = audit.clone();
            audit.target = format!("post:{}", record.id);
            audit_insert!(audit, now_ms).execute(&mut *tx).await?;
            tx.commit().await?;
            record
        });
        record.into_post()
    }

    /// One post, if it exists.
    pub async fn find_post(&self, id: PostId) -> Result<Option<BoardPost>, StoreError> {
        let sql = format!("SELECT {POST_COLUMNS} FROM board_posts WHERE id = $1");
        let record: Option<PostRecord> = with_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id_to_db(id.0))
                .fetch_optional(pool)
                .await?
        });
        record.map(PostRecord::into_post).transpose()
    }

    /// Posts matching `query`, newest first.
    pub async fn list_posts(&self, query: &BoardQuery) -> Result<Vec<BoardPost>, StoreError> {
        let (audience, audience_agent_id) = match query.audience.map(audience_to_db) {
            Some((kind, agent)) => (Some(kind), agent),
            None => (None, None),
        };
        // Unset filters are bound as NULL and match everything, so the statement is fixed.
        let sql = format!(
            "SELECT {POST_COLUMNS} FROM board_posts p \
             WHERE ($1 IS NULL OR status = $1) \
             AND ($2 IS NULL OR EXISTS (SELECT 1 FROM board_post_tags t \
                                        WHERE t.post_id = p.id AND t.tag = $2)) \
             AND ($3 IS NULL OR author_account_id = $3) \
             AND ($4 IS NULL OR audience = $4) \
             AND ($5 IS NULL OR audience_agent_id = $5) \
             AND ($6 IS NULL OR id < $6) \
             AND (status <> 'moderated' OR $7 OR author_account_id = $8) \
             ORDER BY id DESC LIMIT $9"
        );
        let records: Vec<PostRecord> = with_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(query.status.map(PostStatus::as_str))
                .bind(&query.tag)
                .bind(query.author_account_id.map(id_to_db))
                .bind(audience)
                .bind(audience_agent_id)
                .bind(query.before_id.map(id_to_db))
                .bind(query.include_hidden)
                .bind(query.viewer_account_id.map(id_to_db).unwrap_or(-1))
                .bind(i64::from(query.limit))
                .fetch_all(pool)
                .await?
        });
        records.into_iter().map(PostRecord::into_post).collect()
    }

    /// One reply, if it exists.
    pub async fn find_reply(&self, id: u64) -> Result<Option<BoardReply>, StoreError> {
        let sql = format!("SELECT {REPLY_COLUMNS} FROM board_replies WHERE id = $1");
        let record: Option<ReplyRecord> = with_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id_to_db(id))
                .fetch_optional(pool)
                .await?
        });
        record.map(ReplyRecord::into_reply).transpose()
    }

    /// The replies under a post, oldest first, at most `limit`.
    pub async fn list_replies(
        &self,
        post_id: PostId,
        limit: u32,
    ) -> Result<Vec<BoardReply>, StoreError> {
        let sql = format!(
            "SELECT {REPLY_COLUMNS} FROM board_replies WHERE post_id = $1 ORDER BY id LIMIT $2"
        );
        let records: Vec<ReplyRecord> = with_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id_to_db(post_id.0))
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
        });
        records.into_iter().map(ReplyRecord::into_reply).collect()
    }

    /// Adds a reply if the post is open and not full, counting it in the same transaction.
    pub async fn insert_reply(
        &self,
        reply: &NewReply,
        audit: &AuditEntry,
        now_ms: i64,
    ) -> Result<Result<BoardReply, ReplyRefused>, StoreError> {
        let sql = format!(
            "INSERT INTO board_replies (post_id, author_account_id, author_role, \
             author_agent_id, author_name, body, created_at_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {REPLY_COLUMNS}"
        );
        let post_id = id_to_db(reply.post_id.0);
        let record: Option<ReplyRecord> = with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            // The guard and the count in one statement: two replies racing for the last slot
            // cannot both pass.
            let counted = sqlx::query(
                "UPDATE board_posts SET reply_count = reply_count + 1, updated_at_ms = $1 \
                 WHERE id = $2 AND status = 'open' AND reply_count < $3",
            )
            .bind(now_ms)
            .bind(post_id)
            .bind(i64::from(reply.replies_per_post_max))
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if counted {
                let record: ReplyRecord = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(post_id)
                    .bind(id_to_db(reply.author.account_id))
                    .bind(&reply.author.role)
                    .bind(reply.author.agent_id.map(|id| id_to_db(id.0)))
                    .bind(&reply.author.name)
                    .bind(&reply.body)
                    .bind(now_ms)
                    .fetch_one(&mut *tx)
                    .await?;
                let mut audit = audit.clone();
                audit.target = format!("post:{post_id}/reply:{}", record.id);
                audit_insert!(audit, now_ms).execute(&mut *tx).await?;
                tx.commit().await?;
                Some(record)
            } else {
                tx.rollback().await?;
                None
            }
        });
        match record {
            Some(record) => Ok(Ok(record.into_reply()?)),
            None => Ok(Err(match self.find_post(reply.post_id).await? {
                None => ReplyRefused::UnknownPost,
                Some(post) if post.status != PostStatus::Open => ReplyRefused::NotOpen(post.status),
                Some(_) => ReplyRefused::Full,
            })),
        }
    }

    /// Sets a post's status and reason; returns the post as it now stands, or `None` if it
    /// does not exist.
    pub async fn moderate_post(
        &self,
        post_id: PostId,
        status: PostStatus,
        reason: &str,
        audit: &AuditEntry,
        now_ms: i64,
    ) -> Result<Option<BoardPost>, StoreError> {
        let sql = format!(
            "UPDATE board_posts SET status = $1, moderation_reason = $2, updated_at_ms = $3 \
             WHERE id = $4 RETURNING {POST_COLUMNS}"
        );
        let record: Option<PostRecord> = with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let record: Option<PostRecord> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(status.as_str())
                .bind(reason)
                .bind(now_ms)
                .bind(id_to_db(post_id.0))
                .fetch_optional(&mut *tx)
                .await?;
            if record.is_some() {
                audit_insert!(audit, now_ms).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            record
        });
        record.map(PostRecord::into_post).transpose()
    }

    /// Replies by others to `agent`'s posts after reply `after_reply`, oldest first.
    pub async fn list_replies_to_agent(
        &self,
        agent: AgentId,
        after_reply: u64,
        limit: u32,
    ) -> Result<Vec<BoardReply>, StoreError> {
        let sql = "SELECT r.id, r.post_id, r.author_account_id, r.author_role, \
                   r.author_agent_id, r.author_name, r.body, r.created_at_ms \
                   FROM board_replies r JOIN board_posts p ON p.id = r.post_id \
                   WHERE p.author_agent_id = $1 \
                   AND (r.author_agent_id IS NULL OR r.author_agent_id <> $1) \
                   AND r.id > $2 ORDER BY r.id LIMIT $3";
        let records: Vec<ReplyRecord> = with_pool!(self, pool => {
            sqlx::query_as(sql)
                .bind(id_to_db(agent.0))
                .bind(id_to_db(after_reply))
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
        });
        records.into_iter().map(ReplyRecord::into_reply).collect()
    }

    /// Visible posts addressed to `agent` after post `after_post`, oldest first.
    pub async fn list_posts_to_agent(
        &self,
        agent: AgentId,
        after_post: u64,
        limit: u32,
    ) -> Result<Vec<BoardPost>, StoreError> {
        let sql = format!(
            "SELECT {POST_COLUMNS} FROM board_posts \
             WHERE audience = 'agent' AND audience_agent_id = $1 AND status <> 'moderated' \
             AND id > $2 ORDER BY id LIMIT $3"
        );
        let records: Vec<PostRecord> = with_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id_to_db(agent.0))
                .bind(id_to_db(after_post))
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
        });
        records.into_iter().map(PostRecord::into_post).collect()
    }
}
