//! Direct task chats between a person and an agent: opening one (its title and first message
//! checked, the agent found, both passed by the compliance guard, stored with its audit
//! entry), listing and reading them, writing in them, and handing committed messages to their
//! two members. A chat is private to its person and its agent; admins may read it; to anyone
//! else it does not exist, so ids reveal nothing. The API's handlers and the town hall's pages
//! both call these functions; each refusal is a [`ChatError`], which the transports turn into
//! their answers. Nothing here knows HTTP, the WebSocket streams or the pages.

use shared::api::{ChatList, ChatThread};
use shared::{AgentId, Chat, ChatId, ChatMessage};

use super::rules::{self, BoardError};
use super::screen::{ComplianceRefusal, Screener, screen, screen_shown};
use super::settings::BoardSettings;
use crate::auth::principal::AccessError;
use crate::auth::{Principal, Role, Viewer};
use crate::clock::now_ms;
use crate::fields::{self, FieldError};
use crate::store::{ChatOpening, Store, StoreError};
use crate::world::WorldHandle;

/// Longest chat title, in characters.
pub const CHAT_TITLE_CHARS_MAX: usize = 120;
/// Chats listed at most.
pub const CHATS_LISTED_MAX: u32 = 100;

/// Why a chat read or write was refused.
#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    /// The caller's role does not open or list chats.
    #[error(transparent)]
    Access(#[from] AccessError),
    /// No such chat, or one the caller is no member of (the same answer, so ids reveal
    /// nothing).
    #[error("no chat {0} that you can see")]
    UnknownChat(ChatId),
    /// An admin, who may read the chat, tried to write in it.
    #[error("admins read chats; only their two members write")]
    NotAMember,
    #[error(transparent)]
    Board(#[from] BoardError),
    #[error(transparent)]
    Field(#[from] FieldError),
    #[error(transparent)]
    Refused(#[from] ComplianceRefusal),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Where committed chat messages go (`WS /ws/chats`, which passes each to its chat's two
/// members only); the wiring is given by `AppState::chat_outlet`.
pub struct ChatOutlet<'a>(Box<Deliver<'a>>);

/// What hands one message of a chat to its subscribers.
type Deliver<'a> = dyn Fn(&Chat, ChatMessage) + Send + Sync + 'a;

impl<'a> ChatOutlet<'a> {
    /// An outlet that hands each deliverable message of a chat to `send`.
    pub fn new(send: impl Fn(&Chat, ChatMessage) + Send + Sync + 'a) -> ChatOutlet<'a> {
        ChatOutlet(Box::new(send))
    }

    /// Hands a committed message of `chat` on. A held message is not sent (its author has it
    /// from the answer); approving it sends it.
    pub fn deliver(&self, chat: &Chat, message: ChatMessage) {
        if message.held {
            return;
        }
        (self.0)(chat, message);
    }
}

/// What the chats' reads and writes use: the board's limits, the store, the world (who the
/// agents are), the compliance guard and where committed messages go (`AppState::chat_desk`).
pub struct ChatDesk<'a> {
    pub settings: &'a BoardSettings,
    pub store: &'a Store,
    pub world: &'a WorldHandle,
    pub screener: Screener<'a>,
    pub outlet: ChatOutlet<'a>,
}

impl ChatDesk<'_> {
    /// Opens a chat of `principal` (a person: human, moderator or admin) with `agent`, titled
    /// `title`, with `body` as its first message.
    pub async fn open_chat(
        &self,
        principal: &Principal,
        agent: AgentId,
        title: &str,
        body: &str,
    ) -> Result<ChatThread, ChatError> {
        principal.require(&[Role::Human, Role::Moderator, Role::Admin])?;
        let title = fields::line("title", title, CHAT_TITLE_CHARS_MAX)?;
        let body = fields::body("body", body, self.settings.chat_message_chars_max)?;
        rules::agent_exists(self.world, agent).await?;
        let human = rules::author(self.world, principal, false).await?;
        // The title is listed to both members at once, held opening message or not: it is
        // screened alone as a text that cannot wait, then with the message as one.
        screen_shown(
            self.screener,
            &[("title", &title)],
            principal.audit("chat.open", String::new(), "denied", String::new()),
        )
        .await?;
        let screened = screen(
            self.screener,
            principal,
            "chat.open",
            String::new(),
            &title,
            &body,
            &[],
        )
        .await?;
        let audit = principal.audit(
            "chat.open",
            String::new(),
            "ok",
            screened.detail(&format!("with agent {agent}")),
        );
        let opening = ChatOpening {
            human: &human,
            agent,
            title: &title,
            body: &body,
            screening: &screened.screening,
        };
        let (chat, message) = self.store.insert_chat(&opening, &audit, now_ms()).await?;
        self.outlet.deliver(&chat, message.clone());
        Ok(ChatThread {
            chat,
            messages: vec![message],
        })
    }

    /// `principal`'s chats, most recently active first: a person's own, an agent's own, and
    /// for admins every chat. The runtime has none.
    pub async fn list_chats(&self, principal: &Principal) -> Result<ChatList, ChatError> {
        principal.require(&[Role::Human, Role::Moderator, Role::Admin, Role::Agent])?;
        let (human, agent) = match (principal.role, principal.agent_id) {
            (Role::Admin, _) => (None, None),
            (_, Some(agent)) => (None, Some(agent)),
            _ => (Some(principal.account_id), None),
        };
        let chats = self
            .store
            .list_chats(human.map(|a| a.0), agent, CHATS_LISTED_MAX)
            .await?;
        Ok(ChatList { chats })
    }

    /// Chat `id` with its latest messages, for its two members and admins only.
    pub async fn chat(&self, principal: &Principal, id: ChatId) -> Result<ChatThread, ChatError> {
        let chat = self.find_chat(id).await?;
        if !principal.is_chat_member(chat.human_account_id, chat.agent_id)
            && principal.role != Role::Admin
        {
            return Err(ChatError::UnknownChat(id));
        }
        let messages = self
            .store
            .list_chat_messages(
                id,
                Viewer(Some(principal.clone())).reader(),
                self.settings.chat_messages_page_max,
            )
            .await?;
        Ok(ChatThread { chat, messages })
    }

    /// Writes `body` in chat `id` for `principal`, one of its two members (admins read, they
    /// do not write); delivered at once unless the guard held it.
    pub async fn send_message(
        &self,
        principal: &Principal,
        id: ChatId,
        body: &str,
    ) -> Result<ChatMessage, ChatError> {
        let body = fields::body("body", body, self.settings.chat_message_chars_max)?;
        let chat = self.find_chat(id).await?;
        if !principal.is_chat_member(chat.human_account_id, chat.agent_id) {
            if principal.role == Role::Admin {
                return Err(ChatError::NotAMember);
            }
            return Err(ChatError::UnknownChat(id));
        }
        let author = rules::author(self.world, principal, false).await?;
        let target = format!("chat:{id}");
        let screened = screen(
            self.screener,
            principal,
            "chat.message",
            target.clone(),
            "",
            &body,
            &[],
        )
        .await?;
        let audit = principal.audit("chat.message", target, "ok", screened.detail(""));
        let message = self
            .store
            .insert_chat_message(id, &author, &body, &screened.screening, &audit, now_ms())
            .await?;
        self.outlet.deliver(&chat, message.clone());
        Ok(message)
    }

    /// Chat `id`, whoever may see it.
    async fn find_chat(&self, id: ChatId) -> Result<Chat, ChatError> {
        let chat = self.store.find_chat(id).await?;
        chat.ok_or(ChatError::UnknownChat(id))
    }
}
