//! What the compliance guard decided (`compliance_decisions`, append-only) and the moderation
//! queue it fills: posts and replies held or labelled, until a moderator approves or hides
//! them. Each decision is written in the same transaction as the text it is about.

use serde::Serialize;
use shared::{BoardPost, BoardReply};
use utoipa::ToSchema;

use super::audit::{AuditEntry, audit_insert};
use super::board_records::{POST_COLUMNS, PostRecord, REPLY_COLUMNS, ReplyRecord};
use super::screening::NewDecision;
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

/// The insert statement for one decision, bound and ready to run on a transaction of either
/// backend: `decision_insert!(decision, target, author, at_ms).execute(&mut *tx)`.
macro_rules! decision_insert {
    ($decision:expr, $target:expr, $author:expr, $at_ms:expr) => {
        sqlx::query(
            "INSERT INTO compliance_decisions (at_ms, target, author_account_id, rule, action, \
             excerpt) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind($at_ms)
        .bind($target)
        .bind($crate::store::id_to_db($author))
        .bind(&$decision.rule)
        .bind($decision.action)
        .bind(&$decision.excerpt)
    };
}
pub(crate) use decision_insert;

/// Inside `with_pool!`: a moderator's decision on one row of `$table` (posts or replies) in one
/// write transaction: whether it was held (the row locked while the decision is written), then
/// `$update` (a bound `UPDATE ... RETURNING`) and the audit entry. `(was_held, record)`, or
/// `None` when there is no such row (nothing written).
macro_rules! decide_on_row {
    ($pool:ident, $table:literal, $id:expr, $audit:expr, $now_ms:expr, $update:expr) => {{
        use $crate::store::write_transaction::BeginWrite;
        let mut tx = $pool.begin_write().await?;
        // Locked until the decision commits: a concurrent decision on the same row waits, then
        // reads the hold this one ended, so exactly one of them publishes a held text.
        let select = format!(
            concat!("SELECT held FROM ", $table, " WHERE id = $1{}"),
            $pool.row_lock()
        );
        let was_held: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(select))
            .bind($id)
            .fetch_optional(&mut *tx)
            .await?;
        let record = match was_held {
            Some(_) => {
                let record = $update.fetch_one(&mut *tx).await?;
                audit_insert!($audit, $now_ms).execute(&mut *tx).await?;
                Some(record)
            }
            None => None,
        };
        tx.commit().await?;
        was_held.zip(record)
    }};
}
pub(crate) use decide_on_row;

/// A moderator's approve-or-hide of one reply or chat message (`$table`, returning
/// `$columns`): ends its hold, takes it out of the queue, sets `hidden` and the reason, with the
/// audit entry, in one transaction. `Option<(was_held, row)>`.
macro_rules! approve_or_hide_row {
    ($store:expr, $table:literal, $columns:expr, $id:expr, $hide:expr, $reason:expr,
     $audit:expr, $now_ms:expr) => {{
        let sql = format!(
            concat!(
                "UPDATE ",
                $table,
                " SET held = 0, review_pending = 0, hidden = $1, moderation_reason = $2 \
                 WHERE id = $3 RETURNING {}"
            ),
            $columns
        );
        with_pool!($store, pool => {
            decide_on_row!(pool, $table, id_to_db($id), $audit, $now_ms,
                sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(i64::from($hide))
                    .bind($reason)
                    .bind(id_to_db($id)))
        })
    }};
}
pub(crate) use approve_or_hide_row;

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
            for decision in decisions {
                decision_insert!(decision, target, author_account_id, now_ms)
                    .execute(&mut *tx)
                    .await?;
            }
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
        reply_id: u64,
        hide: bool,
        reason: &str,
        audit: &AuditEntry,
        now_ms: i64,
    ) -> Result<Option<Moderated<BoardReply>>, StoreError> {
        let found: Option<(i64, ReplyRecord)> = approve_or_hide_row!(
            self,
            "board_replies",
            REPLY_COLUMNS,
            reply_id,
            hide,
            reason,
            audit,
            now_ms
        );
        found
            .map(|(was_held, record)| {
                Ok(Moderated {
                    item: record.into_reply()?,
                    was_held: was_held != 0,
                })
            })
            .transpose()
    }
}
