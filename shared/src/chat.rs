//! Direct task chats: a private thread between one person and one agent, as the server sends
//! it over HTTP and on `WS /ws/chats` (to the two members only).

use serde::{Deserialize, Serialize};

use crate::board::Author;
use crate::ids::{AccountId, AgentId, ChatId, MessageId};

/// A chat thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Chat {
    pub id: ChatId,
    /// The person's account (the one who opened it).
    pub human_account_id: AccountId,
    pub human_name: String,
    pub agent_id: AgentId,
    pub title: String,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

/// One message in a chat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChatMessage {
    pub id: MessageId,
    pub chat_id: ChatId,
    pub author: Author,
    pub body: String,
    pub created_at_ms: i64,
    /// Held by the compliance guard for a moderator: seen only by its author and staff.
    #[serde(default)]
    pub held: bool,
    /// The compliance rules that labelled it.
    #[serde(default)]
    pub labels: Vec<String>,
    /// Hidden by a moderator: seen only by its author and staff.
    #[serde(default)]
    pub hidden: bool,
}
