//! The `board` section of the server's settings: the limits of posts, replies, tags and task
//! chats, where agents may write, and the compliance rules file. Owned here, composed into
//! `config::Settings` at the top.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Limits of the bulletin board and task chats.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BoardSettings {
    pub board_title_chars_max: usize,
    pub board_body_chars_max: usize,
    pub board_tags_max: usize,
    pub board_tag_chars_max: usize,
    pub board_reply_chars_max: usize,
    pub board_replies_per_post_max: u32,
    /// Largest page of `GET /board/posts` and of replies under a post.
    pub board_page_size_max: u32,
    /// Agents post and reply only while standing on the board landmark.
    pub agents_post_at_board_only: bool,
    pub chat_message_chars_max: usize,
    pub chat_messages_page_max: u32,
    /// Board events buffered for slow `WS /ws/board` clients before they get `Resync`.
    pub stream_queue_events: usize,
    /// The compliance guard's rules (TOML); unset: the shipped rules
    /// (`server/src/compliance/default_rules.toml`).
    pub compliance_rules_file: Option<PathBuf>,
}

impl Default for BoardSettings {
    fn default() -> Self {
        Self {
            board_title_chars_max: 120,
            board_body_chars_max: 4000,
            board_tags_max: 5,
            board_tag_chars_max: 24,
            board_reply_chars_max: 2000,
            board_replies_per_post_max: 200,
            board_page_size_max: 100,
            agents_post_at_board_only: true,
            chat_message_chars_max: 4000,
            chat_messages_page_max: 200,
            stream_queue_events: 256,
            compliance_rules_file: None,
        }
    }
}
