//! A task as the agent's turn sees it: where it came from, who asked, and the conversation so
//! far (a task chat's messages, or a post addressed to the agent and its thread), oldest
//! first, messages held or hidden by moderation left out. Built from what the API answered;
//! it keeps no state and decides nothing.

use shared::api::PostWithReplies;
use shared::api::notebook::TaskSource;
use shared::{AgentId, ChatMessage, MessageId};

use super::chat_watch::PendingChat;

/// Messages of a conversation handed to a turn (the latest; the first, the request, always).
pub const SAID_SHOWN_MAX: usize = 12;

/// One message of the conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Said {
    /// Written by the agent itself.
    pub mine: bool,
    pub who: String,
    pub body: String,
}

/// What an answer answers, so the agent can tell later that it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Through {
    /// The person's latest chat message.
    Chat(MessageId),
    /// The asker's latest word in a post's thread: 0 for the post itself, else a reply id.
    Post(u64),
}

/// A task and its conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskAsk {
    pub source: TaskSource,
    pub title: String,
    pub asker: String,
    /// The request (the first message) and the latest messages, oldest first.
    pub said: Vec<Said>,
    /// Messages between the request and the shown ones that were left out.
    pub left_out: usize,
    pub through: Through,
}

impl TaskAsk {
    /// The person's first message: what was asked.
    pub fn request(&self) -> &str {
        self.said.first().map_or("", |s| s.body.as_str())
    }

    /// A pending task chat.
    pub fn from_chat(me: AgentId, pending: &PendingChat) -> TaskAsk {
        let said = pending.messages.iter().map(|m| said_in_chat(me, m));
        TaskAsk::build(
            TaskSource::Chat(pending.chat.id),
            &pending.chat.title,
            &pending.chat.human_name,
            said.collect(),
            Through::Chat(pending.through),
        )
    }

    /// A post addressed to the agent and its thread; `None` when the asker never wrote there
    /// (an empty thread cannot be: the post itself is the asker's).
    pub fn from_post(me: AgentId, thread: &PostWithReplies) -> TaskAsk {
        let post = &thread.post;
        let asker = post.author.account_id;
        let mut said = vec![Said {
            mine: false,
            who: post.author.name.clone(),
            body: format!("{}\n{}", post.title, post.body),
        }];
        let mut through = 0;
        for reply in thread.replies.iter().filter(|r| !r.held && !r.hidden) {
            if reply.author.account_id == asker {
                through = through.max(reply.id.0);
            }
            said.push(Said {
                mine: reply.author.agent_id == Some(me),
                who: reply.author.name.clone(),
                body: reply.body.clone(),
            });
        }
        TaskAsk::build(
            TaskSource::Post(post.id),
            &post.title,
            &post.author.name,
            said,
            Through::Post(through),
        )
    }

    /// Keeps the first message and the latest ones, at most [`SAID_SHOWN_MAX`] in all.
    fn build(
        source: TaskSource,
        title: &str,
        asker: &str,
        mut said: Vec<Said>,
        through: Through,
    ) -> TaskAsk {
        let left_out = said.len().saturating_sub(SAID_SHOWN_MAX);
        if left_out > 0 {
            said.drain(1..=left_out);
        }
        debug_assert!(said.len() <= SAID_SHOWN_MAX);
        TaskAsk {
            source,
            title: title.to_string(),
            asker: asker.to_string(),
            said,
            left_out,
            through,
        }
    }
}

fn said_in_chat(me: AgentId, message: &ChatMessage) -> Said {
    Said {
        mine: message.author.agent_id == Some(me),
        who: message.author.name.clone(),
        body: message.body.clone(),
    }
}
