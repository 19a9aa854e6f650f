//! Task chats (`/chats`): what a person sends to open one, what either member sends to write in
//! it, and what the server answers. Used by the server, the town hall and the in-container agent
//! (which answers its chats).

use serde::{Deserialize, Serialize};

use crate::chat::{Chat, ChatMessage};
use crate::ids::AgentId;

/// A new chat with its first message (`POST /chats`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OpenChatRequest {
    pub agent_id: AgentId,
    /// One line: 1 to 120 characters once trimmed, no control characters.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 120,
            pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$"
        )
    )]
    pub title: String,
    /// The first message: 1 to `board.chat_message_chars_max` characters once trimmed
    /// (default 4000; configurable); newlines and tabs are the only control characters allowed.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 4000,
            pattern = "^[^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F]*$"
        )
    )]
    pub body: String,
}

/// A new message (`POST /chats/{id}/messages`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChatMessageRequest {
    /// 1 to `board.chat_message_chars_max` characters once trimmed (default 4000;
    /// configurable); newlines and tabs are the only control characters allowed.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 4000,
            pattern = "^[^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F]*$"
        )
    )]
    pub body: String,
}

/// A chat with its latest messages, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChatThread {
    pub chat: Chat,
    #[serde(default)]
    pub messages: Vec<ChatMessage>,
}

/// The caller's chats, most recently written first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChatList {
    #[serde(default)]
    pub chats: Vec<Chat>,
}
