//! Which task chats wait for the agent's answer: it polls `GET /chats` at most every
//! [`POLL_INTERVAL`], reads the chats written in since it last looked, and hands out the one
//! whose person wrote last and longest ago, with its latest messages. A chat waits while the
//! person's latest message is newer than the agent's own latest one, so a restarted agent
//! neither answers twice nor forgets a chat; `chats.json` in the workspace keeps what it read
//! (and chats it gave up on, whose answer the server refused for good). Bounded: [`CHATS_KEPT_MAX`] chats
//! remembered, [`MESSAGES_SHOWN_MAX`] messages handed out. It decides nothing: the brain does.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use shared::{AgentId, Chat, ChatId, ChatMessage, MessageId};
use tokio::time::Instant;

use super::client::{ApiClient, ClientError};
use super::workspace_file::{read_or_default, write_whole};

/// Least time between two looks at the chat list: keeps a seedling's 6 requests a minute for
/// acting.
pub const POLL_INTERVAL: Duration = Duration::from_secs(20);
/// Chats whose answered state is kept (the most recently written).
pub const CHATS_KEPT_MAX: usize = 64;
/// Latest messages of a chat handed to the brain.
pub const MESSAGES_SHOWN_MAX: usize = 12;

/// A chat whose person wrote after the agent's last answer.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingChat {
    pub chat: Chat,
    /// Its latest messages, oldest first (held ones are not shown to the agent).
    pub messages: Vec<ChatMessage>,
    /// The person's latest message: what an answer answers.
    pub through: MessageId,
}

/// What is kept per chat.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Seen {
    /// The person's latest message answered.
    answered: Option<MessageId>,
    /// The chat's `updated_at_ms` when it was last read.
    read_at_ms: i64,
}

/// The agent's view of its chats.
#[derive(Debug)]
pub struct ChatWatch {
    me: AgentId,
    path: PathBuf,
    seen: BTreeMap<ChatId, Seen>,
    pending: BTreeMap<ChatId, PendingChat>,
    next_poll: Option<Instant>,
    /// Least time between two looks ([`POLL_INTERVAL`]; tests shorten it).
    poll_every: Duration,
    /// API requests made since [`ChatWatch::take_requests`] last took them.
    requests: u32,
}

impl ChatWatch {
    /// The watch of agent `me`, its state in `workspace/chats.json` (read now; a missing or
    /// unreadable file starts empty, and unreadable is logged).
    pub fn open(me: AgentId, workspace: &Path) -> ChatWatch {
        let path = workspace.join("chats.json");
        let seen = read_or_default(&path);
        ChatWatch {
            me,
            path,
            seen,
            pending: BTreeMap::new(),
            next_poll: None,
            poll_every: POLL_INTERVAL,
            requests: 0,
        }
    }

    /// The same watch looking every `every` (tests: a fraction of a second).
    pub fn with_poll_interval(mut self, every: Duration) -> ChatWatch {
        self.poll_every = every;
        self
    }

    /// The chat to answer now, if any: looks at the chats when a look is due.
    pub async fn next(&mut self, client: &ApiClient) -> Result<Option<PendingChat>, ClientError> {
        if self.next_poll.is_none_or(|at| Instant::now() >= at) {
            self.next_poll = Some(Instant::now() + self.poll_every);
            self.poll(client).await?;
        }
        let oldest = self.pending.values().min_by_key(|p| {
            let last = p.messages.iter().find(|m| m.id == p.through);
            last.map_or(i64::MAX, |m| m.created_at_ms)
        });
        Ok(oldest.cloned())
    }

    /// The API requests made since the last call (they count against the tier's rate).
    pub fn take_requests(&mut self) -> u32 {
        std::mem::take(&mut self.requests)
    }

    /// Notes that `chat` was answered through message `through`, and keeps it.
    pub fn answered(&mut self, chat: ChatId, through: MessageId) {
        let seen = self.seen.entry(chat).or_default();
        seen.answered = seen.answered.max(Some(through));
        if self
            .pending
            .get(&chat)
            .is_some_and(|p| p.through <= through)
        {
            self.pending.remove(&chat);
        }
        self.save();
    }

    /// Reads the chats written in since last read and notes those waiting for an answer.
    async fn poll(&mut self, client: &ApiClient) -> Result<(), ClientError> {
        self.requests += 1;
        let list = client.chats().await?;
        for chat in list.chats.iter().take(CHATS_KEPT_MAX) {
            let seen = self.seen.get(&chat.id).copied().unwrap_or_default();
            if chat.agent_id != self.me || chat.updated_at_ms <= seen.read_at_ms {
                continue;
            }
            self.requests += 1;
            let thread = client.chat(chat.id).await?;
            let mut messages: Vec<ChatMessage> =
                thread.messages.into_iter().filter(|m| !m.held).collect();
            let keep_from = messages.len().saturating_sub(MESSAGES_SHOWN_MAX);
            messages.drain(..keep_from);
            let latest = |mine: bool| {
                let by_me = |m: &&ChatMessage| (m.author.agent_id == Some(self.me)) == mine;
                messages.iter().filter(by_me).map(|m| m.id).max()
            };
            let (theirs, mine) = (latest(false), latest(true));
            self.seen.entry(chat.id).or_default().read_at_ms = chat.updated_at_ms;
            // Answered when the agent wrote after the person's latest message (also when an
            // answer was sent just before a restart) or when it gave up on it.
            match theirs {
                Some(through) if Some(through) > seen.answered && Some(through) > mine => {
                    let chat = thread.chat;
                    let pending = PendingChat {
                        chat,
                        messages,
                        through,
                    };
                    self.pending.insert(pending.chat.id, pending);
                }
                _ => {
                    self.pending.remove(&chat.id);
                }
            }
        }
        self.forget_oldest();
        self.save();
        Ok(())
    }

    /// Keeps at most [`CHATS_KEPT_MAX`] chats: the most recently read.
    fn forget_oldest(&mut self) {
        while self.seen.len() > CHATS_KEPT_MAX {
            let oldest = self
                .seen
                .iter()
                .min_by_key(|(_, s)| s.read_at_ms)
                .map(|(id, _)| *id);
            let Some(oldest) = oldest else { break };
            self.seen.remove(&oldest);
        }
    }

    /// Writes the state (a failure is logged: the agent may answer twice).
    fn save(&self) {
        write_whole(&self.path, &self.seen);
    }
}
