//! What the compliance guard decided (`compliance_decisions`, append-only) and the moderation
//! queue it fills: posts and replies held or labelled, until a moderator approves or hides
//! them. Each decision is written in the same transaction as the text it is about (the insert
//! is `WriteSteps::insert_decisions`, and a moderator's decision on one row
//! `WriteSteps::decide_on_row`, both in `write_steps.rs`).

use serde::Serialize;
use shared::{BoardPost, BoardReply, ReplyId};
use utoipa::ToSchema;

use sqlx::FromRow;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;

use super::audit::AuditEntry;
use super::board_records::{POST_COLUMNS, PostRecord, REPLY_COLUMNS, ReplyRecord};
use super::screening::NewDecision;
use super::write_steps::WriteSteps;
use super::write_transaction::BeginWrite;
use super::{Store, StoreError, id_to_db, with_pool};

/// A recorded decision, as the panel shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema, sqlx::FromRow)]
pub struct DecisionRecord {
    #[sqlx(try_from = "i64")]
    pub id: u64,
    pub at_ms: i64,
    /// `post:3`, `post:3/reply:9`, `chat:2/message:5`, or `refused:<action>`.
    pub target: String,
    #[sqlx(try_from = "i64")]
    pub author_account_id: u64,
    pub rule: String,
    pub action: String,
    pub excerpt: String,
}

/// A table a moderator approves or hides rows of (replies, chat messages), and the columns
/// its decision returns.
#[derive(Debug, Clone, Copy)]
pub(super) struct ModeratedTable {
    pub name: &'static str,
    pub columns: &'static str,
}

/// Replies, as a moderator decides on them.
const REPLIES: ModeratedTable = ModeratedTable {
    name: "board_replies",
    columns: REPLY_COLUMNS,
};

/// Items in the moderation queue, oldest first.
#[derive(Debug, Clone, Default)]
pub struct ReviewQueue {
    pub posts: Vec<BoardPost>,
    pub replies: Vec<BoardReply>,
}

/// A post or reply after a moderator's decision, and whether it had been held until then (a
/// held text was never published, so approving it publishes it for the first time).
#[derive(Debug, Clone)]
pub struct Moderated<T> {
    pub item: T,
    pub was_held: bool,
}

impl Store {
    /// Records decisions on their own: those on a refused text, which is not stored.
    pub async fn insert_decisions(
        &self,
        decisions: &[NewDecision],
        target: &str,
        author_account_id: u64,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            WriteSteps::insert_decisions(&mut tx, decisions, target, author_account_id, now_ms)
                .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Decisions, newest first: all, or those on one target, and with `nested` also those on
    /// what lies under it (`post:3` then matches `post:3/reply:9`).
    pub async fn list_decisions(
        &self,
        target: Option<&str>,
        nested: bool,
        before_id: Option<u64>,
        limit: u32,
    ) -> Result<Vec<DecisionRecord>, StoreError> {
        let sql = "SELECT id, at_ms, target, author_account_id, rule, action, excerpt \
                   FROM compliance_decisions \
                   WHERE ($1 IS NULL OR target = $1 OR substr(target, 1, length($2)) = $2) \
                   AND ($3 IS NULL OR id < $3) ORDER BY id DESC LIMIT $4";
        // Unbound (NULL), the prefix comparison is never true.
        let under = target.filter(|_| nested).map(|t| format!("{t}/"));
        let rows: Vec<DecisionRecord> = with_pool!(self, pool => {
            sqlx::query_as(sql)
                .bind(target)
                .bind(under.as_deref())
                .bind(before_id.map(id_to_db))
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
        });
        Ok(rows)
    }

    /// Posts and replies waiting for a moderator, oldest first, at most `limit` of each.
    pub async fn list_review_queue(&self, limit: u32) -> Result<ReviewQueue, StoreError> {
        let posts_sql = format!(
            "SELECT {POST_COLUMNS} FROM board_posts WHERE review_pending = 1 ORDER BY id LIMIT $1"
        );
        let replies_sql = format!(
            "SELECT {REPLY_COLUMNS} FROM board_replies WHERE review_pending = 1 \
             ORDER BY id LIMIT $1"
        );
        let (posts, replies): (Vec<PostRecord>, Vec<ReplyRecord>) = with_pool!(self, pool => {
            let posts = sqlx::query_as(sqlx::AssertSqlSafe(posts_sql))
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?;
            let replies = sqlx::query_as(sqlx::AssertSqlSafe(replies_sql))
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?;
            (posts, replies)
        });
        Ok(ReviewQueue {
            posts: posts
                .into_iter()
                .map(PostRecord::into_post)
                .collect::<Result<_, _>>()?,
            replies: replies
                .into_iter()
                .map(ReplyRecord::into_reply)
                .collect::<Result<_, _>>()?,
        })
    }

    /// A moderator's decision on a reply: `hide` hides it for good, otherwise it is approved
    /// (shown). Either way it leaves the queue and its hold ends. `None` if there is no such
    /// reply.
    pub async fn moderate_reply(
        &self,
        reply_id: ReplyId,
        hide: bool,
        reason: &str,
        audit: &AuditEntry,
        now_ms: i64,
    ) -> Result<Option<Moderated<BoardReply>>, StoreError> {
        let found: Option<(i64, ReplyRecord)> = self
            .approve_or_hide_row(REPLIES, reply_id.0, hide, reason, audit, now_ms)
            .await?;
        found
            .map(|(was_held, record)| {
                Ok(Moderated {
                    item: record.into_reply()?,
                    was_held: was_held != 0,
                })
            })
            .transpose()
    }

    /// A moderator's approve-or-hide of row `id` of `table` (a reply or a chat message): ends
    /// its hold, takes it out of the queue, sets `hidden` and the reason, with the audit entry,
    /// in one transaction ([`WriteSteps::decide_on_row`]). `(was_held, row)`, or `None` when
    /// there is no such row.
    pub(super) async fn approve_or_hide_row<R>(
        &self,
        table: ModeratedTable,
        id: u64,
        hide: bool,
        reason: &str,
        audit: &AuditEntry,
        now_ms: i64,
    ) -> Result<Option<(i64, R)>, StoreError>
    where
        R: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin,
    {
        let sql = format!(
            "UPDATE {} SET held = 0, review_pending = 0, hidden = $1, moderation_reason = $2 \
             WHERE id = $3 RETURNING {}",
            table.name, table.columns
        );
        let found = with_pool!(self, pool => {
            let update = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(i64::from(hide))
                .bind(reason)
                .bind(id_to_db(id));
            WriteSteps::decide_on_row(pool, table.name, id_to_db(id), audit, now_ms, update)
                .await?
        });
        Ok(found)
    }
}
