//! Queries on `chats` and `chat_messages`, one function per query. Opening a chat writes the
//! chat, its first message and the audit entry in one transaction; the message insert both
//! share is `WriteSteps::insert_message` (`write_steps.rs`).

use shared::{AccountId, AgentId, Author, Chat, ChatId, ChatMessage, MessageId};

use super::audit::AuditEntry;
use super::board_records::{Reader, labels_from_db};
use super::screening::Screening;
use super::write_steps::WriteSteps;
use super::write_transaction::BeginWrite;
use super::{Store, StoreError, id_from_db, id_to_db, with_pool};

#[derive(Debug, sqlx::FromRow)]
struct ChatRow {
    id: i64,
    human_account_id: i64,
    human_name: String,
    agent_id: i64,
    title: String,
    created_at_ms: i64,
    updated_at_ms: i64,
}

#[derive(Debug, sqlx::FromRow)]
pub(super) struct MessageRow {
    id: i64,
    chat_id: i64,
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

const CHAT_COLUMNS: &str = "c.id, c.human_account_id, a.username AS human_name, c.agent_id, \
                            c.title, c.created_at_ms, c.updated_at_ms";
pub(super) const MESSAGE_COLUMNS: &str = "id, chat_id, author_account_id, author_role, author_agent_id, \
                               author_name, body, created_at_ms, held, labels, hidden";

impl ChatRow {
    fn into_chat(self) -> Result<Chat, StoreError> {
        Ok(Chat {
            id: ChatId(id_from_db(self.id, "chat")?),
            human_account_id: AccountId(id_from_db(self.human_account_id, "account")?),
            human_name: self.human_name,
            agent_id: AgentId(id_from_db(self.agent_id, "agent")?),
            title: self.title,
            created_at_ms: self.created_at_ms,
            updated_at_ms: self.updated_at_ms,
        })
    }
}

impl MessageRow {
    /// What the guard's decisions on this message are recorded against.
    pub(super) fn target(&self) -> String {
        format!("chat:{}/message:{}", self.chat_id, self.id)
    }

    pub(super) fn into_message(self) -> Result<ChatMessage, StoreError> {
        Ok(ChatMessage {
            id: MessageId(id_from_db(self.id, "chat message")?),
            chat_id: ChatId(id_from_db(self.chat_id, "chat")?),
            author: Author {
                account_id: AccountId(id_from_db(self.author_account_id, "account")?),
                role: self.author_role,
                agent_id: self
                    .author_agent_id
                    .map(|id| id_from_db(id, "agent").map(AgentId))
                    .transpose()?,
                name: self.author_name,
            },
            body: self.body,
            created_at_ms: self.created_at_ms,
            held: self.held != 0,
            labels: labels_from_db(&self.labels),
            hidden: self.hidden != 0,
        })
    }
}

/// A chat to open: its two members, its title and first message, and the compliance guard's
/// decisions on that message.
#[derive(Debug, Clone, Copy)]
pub struct ChatOpening<'a> {
    pub human: &'a Author,
    pub agent: AgentId,
    pub title: &'a str,
    pub body: &'a str,
    /// What the compliance guard found in the first message.
    pub screening: &'a Screening,
}

impl Store {
    /// Opens a chat with its first message and the decisions on it.
    pub async fn insert_chat(
        &self,
        opening: &ChatOpening<'_>,
        audit: &AuditEntry,
        now_ms: i64,
    ) -> Result<(Chat, ChatMessage), StoreError> {
        let chat_sql = format!(
            "SELECT {CHAT_COLUMNS} FROM chats c JOIN accounts a ON a.id = c.human_account_id \
             WHERE c.id = $1"
        );
        let (chat, message): (ChatRow, MessageRow) = with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let chat_id: i64 = sqlx::query_scalar(
                "INSERT INTO chats (human_account_id, agent_id, title, created_at_ms, \
                 updated_at_ms) VALUES ($1, $2, $3, $4, $4) RETURNING id",
            )
            .bind(id_to_db(opening.human.account_id.0))
            .bind(id_to_db(opening.agent.0))
            .bind(opening.title)
            .bind(now_ms)
            .fetch_one(&mut *tx)
            .await?;
            let message = WriteSteps::insert_message(
                &mut tx,
                chat_id,
                opening.human,
                opening.body,
                opening.screening,
                now_ms,
            )
            .await?;
            // Read back inside the transaction, so a chat is answered only as committed.
            let chat: ChatRow = sqlx::query_as(sqlx::AssertSqlSafe(chat_sql))
                .bind(chat_id)
                .fetch_one(&mut *tx)
                .await?;
            let mut audit = audit.clone();
            audit.target = format!("chat:{chat_id}");
            WriteSteps::insert_audit(&mut *tx, &audit, now_ms).await?;
            tx.commit().await?;
            (chat, message)
        });
        let chat = chat.into_chat()?;
        Ok((chat, message.into_message()?))
    }

    /// One chat, if it exists.
    pub async fn find_chat(&self, id: ChatId) -> Result<Option<Chat>, StoreError> {
        let sql = format!(
            "SELECT {CHAT_COLUMNS} FROM chats c JOIN accounts a ON a.id = c.human_account_id \
             WHERE c.id = $1"
        );
        let row: Option<ChatRow> = with_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id_to_db(id.0))
                .fetch_optional(pool)
                .await?
        });
        row.map(ChatRow::into_chat).transpose()
    }

    /// Chats of a person (by account) or of an agent, newest first, at most `limit`.
    pub async fn list_chats(
        &self,
        human_account_id: Option<u64>,
        agent: Option<AgentId>,
        limit: u32,
    ) -> Result<Vec<Chat>, StoreError> {
        let sql = format!(
            "SELECT {CHAT_COLUMNS} FROM chats c JOIN accounts a ON a.id = c.human_account_id \
             WHERE ($1 IS NULL OR c.human_account_id = $1) AND ($2 IS NULL OR c.agent_id = $2) \
             ORDER BY c.updated_at_ms DESC, c.id DESC LIMIT $3"
        );
        let rows: Vec<ChatRow> = with_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(human_account_id.map(id_to_db))
                .bind(agent.map(|a| id_to_db(a.0)))
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(ChatRow::into_chat).collect()
    }

    /// Adds a message and touches the chat, with the audit entry, in one transaction.
    pub async fn insert_chat_message(
        &self,
        chat_id: ChatId,
        author: &Author,
        body: &str,
        screening: &Screening,
        audit: &AuditEntry,
        now_ms: i64,
    ) -> Result<ChatMessage, StoreError> {
        let chat = id_to_db(chat_id.0);
        let row: MessageRow = with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let row =
                WriteSteps::insert_message(&mut tx, chat, author, body, screening, now_ms).await?;
            sqlx::query("UPDATE chats SET updated_at_ms = $1 WHERE id = $2")
                .bind(now_ms)
                .bind(chat)
                .execute(&mut *tx)
                .await?;
            WriteSteps::insert_audit(&mut *tx, audit, now_ms).await?;
            tx.commit().await?;
            row
        });
        row.into_message()
    }

    /// The latest `limit` messages of a chat, oldest first.
    pub async fn list_chat_messages(
        &self,
        chat_id: ChatId,
        reader: Reader,
        limit: u32,
    ) -> Result<Vec<ChatMessage>, StoreError> {
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM (SELECT {MESSAGE_COLUMNS} FROM chat_messages \
             WHERE chat_id = $1 \
             AND ((held = 0 AND hidden = 0) OR $2 OR author_account_id = $3) \
             ORDER BY id DESC LIMIT $4) latest ORDER BY id"
        );
        let rows: Vec<MessageRow> = with_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id_to_db(chat_id.0))
                .bind(reader.staff)
                .bind(reader.account_db())
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(MessageRow::into_message).collect()
    }
}
