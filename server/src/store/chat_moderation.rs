//! The moderation of task chat messages: those the compliance guard held or labelled wait in
//! the queue (`review_pending`) until a moderator approves or hides them. A held message is
//! seen only by its author and staff meanwhile (`chats.rs` filters the listing).

use shared::{ChatMessage, MessageId};

use super::audit::AuditEntry;
use super::chats::{MESSAGE_COLUMNS, MessageRow};
use super::moderation::{Moderated, ModeratedTable};
use super::{Store, StoreError, with_pool};

/// Chat messages, as a moderator decides on them.
const MESSAGES: ModeratedTable = ModeratedTable {
    name: "chat_messages",
    columns: MESSAGE_COLUMNS,
};

impl Store {
    /// Chat messages waiting for a moderator, oldest first, at most `limit`.
    pub async fn list_chat_review_queue(&self, limit: u32) -> Result<Vec<ChatMessage>, StoreError> {
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM chat_messages WHERE review_pending = 1 \
             ORDER BY id LIMIT $1"
        );
        let rows: Vec<MessageRow> = with_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(MessageRow::into_message).collect()
    }

    /// A moderator's decision on a chat message: `hide` hides it for good, otherwise it is
    /// approved (shown to the chat's other member). Either way it leaves the queue and its hold
    /// ends. `None` if there is no such message.
    pub async fn moderate_chat_message(
        &self,
        message_id: MessageId,
        hide: bool,
        reason: &str,
        audit: &AuditEntry,
        now_ms: i64,
    ) -> Result<Option<Moderated<ChatMessage>>, StoreError> {
        let found: Option<(i64, MessageRow)> = self
            .approve_or_hide_row(MESSAGES, message_id.0, hide, reason, audit, now_ms)
            .await?;
        found
            .map(|(was_held, row)| {
                Ok(Moderated {
                    item: row.into_message()?,
                    was_held: was_held != 0,
                })
            })
            .transpose()
    }
}
