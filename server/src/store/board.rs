//! Queries on the bulletin board (`board_posts`, `board_post_tags`, `board_replies`), one
//! function per query. Each write records its audit entry, and the compliance guard's
//! decisions on it, in the same transaction (through the steps in `write_steps.rs`).

use shared::{AgentId, BoardPost, BoardReply, PostId, PostStatus, ReplyId};

use super::audit::AuditEntry;
use super::board_records::{
    BoardQuery, NewPost, NewReply, POST_COLUMNS, PostRecord, REPLY_COLUMNS, Reader, ReplyRecord,
    ReplyRefused, audience_to_db, labels_to_db,
};
use super::moderation::Moderated;
use super::write_steps::WriteSteps;
use super::write_transaction::BeginWrite;
use super::{Store, StoreError, id_to_db, with_pool};

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
             updated_at_ms, held, labels, review_pending) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, $12, $13) \
             RETURNING {POST_COLUMNS}"
        );
        let record: PostRecord = with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let record: PostRecord = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id_to_db(post.author.account_id.0))
                .bind(&post.author.role)
                .bind(post.author.agent_id.map(|id| id_to_db(id.0)))
                .bind(&post.author.name)
                .bind(audience)
                .bind(audience_agent_id)
                .bind(&post.title)
                .bind(&post.body)
                .bind(&tags)
                .bind(now_ms)
                .bind(i64::from(post.screening.held))
                .bind(labels_to_db(&post.screening.labels))
                .bind(i64::from(post.screening.needs_review()))
                .fetch_one(&mut *tx)
                .await?;
            for tag in &post.tags {
                sqlx::query("INSERT INTO board_post_tags (post_id, tag) VALUES ($1, $2)")
                    .bind(record.id)
                    .bind(tag)
                    .execute(&mut *tx)
                    .await?;
            }
            WriteSteps::insert_decisions_and_audit(
                &mut tx,
                &post.screening.decisions,
                format!("post:{}", record.id),
                post.author.account_id.0,
                audit,
                now_ms,
            )
            .await?;
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
             AND ((status <> 'moderated' AND held = 0) OR $7 OR author_account_id = $8) \
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
                .bind(query.reader.staff)
                .bind(query.reader.account_db())
                .bind(i64::from(query.limit))
                .fetch_all(pool)
                .await?
        });
        records.into_iter().map(PostRecord::into_post).collect()
    }

    /// One reply, if it exists.
    pub async fn find_reply(&self, id: ReplyId) -> Result<Option<BoardReply>, StoreError> {
        let sql = format!("SELECT {REPLY_COLUMNS} FROM board_replies WHERE id = $1");
        let record: Option<ReplyRecord> = with_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id_to_db(id.0))
                .fetch_optional(pool)
                .await?
        });
        record.map(ReplyRecord::into_reply).transpose()
    }

    /// The replies under a post that `reader` may see, oldest first, at most `limit`.
    pub async fn list_replies(
        &self,
        post_id: PostId,
        reader: Reader,
        limit: u32,
    ) -> Result<Vec<BoardReply>, StoreError> {
        let sql = format!(
            "SELECT {REPLY_COLUMNS} FROM board_replies WHERE post_id = $1 \
             AND ((held = 0 AND hidden = 0) OR $2 OR author_account_id = $3) \
             ORDER BY id LIMIT $4"
        );
        let records: Vec<ReplyRecord> = with_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id_to_db(post_id.0))
                .bind(reader.staff)
                .bind(reader.account_db())
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
             author_agent_id, author_name, body, created_at_ms, held, labels, review_pending) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {REPLY_COLUMNS}"
        );
        let post_id = id_to_db(reply.post_id.0);
        let record: Option<ReplyRecord> = with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
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
                    .bind(id_to_db(reply.author.account_id.0))
                    .bind(&reply.author.role)
                    .bind(reply.author.agent_id.map(|id| id_to_db(id.0)))
                    .bind(&reply.author.name)
                    .bind(&reply.body)
                    .bind(now_ms)
                    .bind(i64::from(reply.screening.held))
                    .bind(labels_to_db(&reply.screening.labels))
                    .bind(i64::from(reply.screening.needs_review()))
                    .fetch_one(&mut *tx)
                    .await?;
                WriteSteps::insert_decisions_and_audit(
                    &mut tx,
                    &reply.screening.decisions,
                    format!("post:{post_id}/reply:{}", record.id),
                    reply.author.account_id.0,
                    audit,
                    now_ms,
                )
                .await?;
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

    /// A moderator's decision on a post: a new status and its reason (`None` approves it as
    /// it stands). Either way it leaves the moderation queue and its hold ends. `None` if
    /// there is no such post.
    pub async fn moderate_post(
        &self,
        post_id: PostId,
        status: Option<PostStatus>,
        reason: &str,
        audit: &AuditEntry,
        now_ms: i64,
    ) -> Result<Option<Moderated<BoardPost>>, StoreError> {
        let sql = format!(
            "UPDATE board_posts SET status = COALESCE($1, status), \
             moderation_reason = $2, updated_at_ms = $3, held = 0, review_pending = 0 \
             WHERE id = $4 RETURNING {POST_COLUMNS}"
        );
        let id = id_to_db(post_id.0);
        let found: Option<(i64, PostRecord)> = with_pool!(self, pool => {
            let update = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(status.map(PostStatus::as_str))
                .bind(reason)
                .bind(now_ms)
                .bind(id);
            WriteSteps::decide_on_row(pool, "board_posts", id, audit, now_ms, update).await?
        });
        found
            .map(|(was_held, record)| {
                Ok(Moderated {
                    item: record.into_post()?,
                    was_held: was_held != 0,
                })
            })
            .transpose()
    }

    /// Replies by others to `agent`'s posts after reply `after_reply`, oldest first.
    pub async fn list_replies_to_agent(
        &self,
        agent: AgentId,
        after_reply: u64,
        limit: u32,
    ) -> Result<Vec<BoardReply>, StoreError> {
        let sql = "SELECT r.id, r.post_id, r.author_account_id, r.author_role, \
                   r.author_agent_id, r.author_name, r.body, r.created_at_ms, r.held, r.labels, r.hidden \
                   FROM board_replies r JOIN board_posts p ON p.id = r.post_id \
                   WHERE p.author_agent_id = $1 \
                   AND (r.author_agent_id IS NULL OR r.author_agent_id <> $1) \
                   AND r.held = 0 AND r.hidden = 0 \
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
             AND held = 0 \
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
