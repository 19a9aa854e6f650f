//! The town bulletin board and task chats: what a post, reply or chat message may contain, who
//! may write where, and how committed changes reach `WS /ws/board`, `WS /ws/chats` and the
//! world stream. The desks decide (`posts`: posts and replies; `chats`: task chats;
//! `moderation`: staff decisions and the queue); the API's handlers and the town hall's pages
//! call them and only parse and answer; the store only stores.

pub mod chats;
pub mod moderation;
pub mod posts;
pub mod publish;
pub mod rules;
pub mod screen;
pub mod settings;
