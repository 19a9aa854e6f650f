//! Direct task chats: `POST /chats`, `GET /chats`, `GET /chats/{id}`,
//! `POST /chats/{id}/messages`. A chat is private to its person and its agent; admins may read
//! it. To anyone else it does not exist (404), so ids reveal nothing.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use shared::{AgentId, Chat, ChatMessage};
use utoipa::ToSchema;

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath};
use crate::auth::{Principal, Role, Viewer};
use crate::board::rules;
use crate::board::screen::{screen, screen_shown};
use crate::clock::now_ms;
use crate::fields;
use crate::state::{AppState, ChatDelivery};
use crate::store::ChatOpening;

/// Longest chat title, in characters.
pub const CHAT_TITLE_CHARS_MAX: usize = 120;
/// Chats listed by `GET /chats`.
pub const CHATS_LISTED_MAX: u32 = 100;

/// A new chat with its first message.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenChatRequest {
    pub agent_id: AgentId,
    /// One line: 1 to 120 characters once trimmed, no control characters.
    #[schema(
        min_length = 1,
        max_length = 120,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    pub title: String,
    /// The first message: 1 to `board.chat_message_chars_max` characters once trimmed
    /// (default 4000; configurable); newlines and tabs are the only control characters allowed.
    #[schema(
        min_length = 1,
        max_length = 4000,
        pattern = "^[^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F]*$"
    )]
    pub body: String,
}

/// A new message.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatMessageRequest {
    /// 1 to `board.chat_message_chars_max` characters once trimmed (default 4000;
    /// configurable); newlines and tabs are the only control characters allowed.
    #[schema(
        min_length = 1,
        max_length = 4000,
        pattern = "^[^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F]*$"
    )]
    pub body: String,
}

/// A chat with its latest messages, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChatThread {
    pub chat: Chat,
    pub messages: Vec<ChatMessage>,
}

/// The caller's chats.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChatList {
    pub chats: Vec<Chat>,
}

fn unknown_chat(id: u64) -> ApiError {
    ApiError::not_found("unknown_chat", format!("no chat {id} that you can see"))
}

/// Opens a chat with an agent. People only (humans, moderators, admins).
#[utoipa::path(post, path = "/chats", tag = "chats", request_body = OpenChatRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Opened", body = ChatThread),
        (status = 403, description = "Agents and the runtime do not open chats (`forbidden_role`)", body = ErrorBody),
        (status = 404, description = "No such agent (`unknown_agent`)", body = ErrorBody),
        (status = 422, description = "Invalid field (`invalid_field`), or refused by the compliance guard (`compliance_blocked`)", body = ErrorBody),
        (status = 503, description = "The world did not answer in time (`world_unavailable`)", body = ErrorBody)))]
pub async fn open_chat(
    principal: Principal,
    State(state): State<AppState>,
    ApiJson(request): ApiJson<OpenChatRequest>,
) -> Result<(StatusCode, Json<ChatThread>), ApiError> {
    principal.require(&[Role::Human, Role::Moderator, Role::Admin])?;
    let limits = &state.settings.board;
    let title = fields::line("title", &request.title, CHAT_TITLE_CHARS_MAX)?;
    let body = fields::body("body", &request.body, limits.chat_message_chars_max)?;
    rules::agent_exists(&state.world, request.agent_id).await?;
    let human = rules::author(&state.world, &principal, false).await?;
    // The title is listed to both members at once, held opening message or not: it is
    // screened alone as a text that cannot wait, then with the message as one.
    screen_shown(
        state.screener(),
        &[("title", &title)],
        principal.audit("chat.open", String::new(), "denied", String::new()),
    )
    .await?;
    let screened = screen(
        state.screener(),
        &principal,
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
        screened.detail(&format!("with agent {}", request.agent_id)),
    );
    let (chat, message) = state
        .store
        .insert_chat(
            &ChatOpening {
                human: &human,
                agent: request.agent_id,
                title: &title,
                body: &body,
                screening: &screened.screening,
            },
            &audit,
            now_ms(),
        )
        .await?;
    deliver(&state, &chat, message.clone());
    Ok((
        StatusCode::CREATED,
        Json(ChatThread {
            chat,
            messages: vec![message],
        }),
    ))
}

/// Lists the caller's chats, most recently active first (admins: every chat).
#[utoipa::path(get, path = "/chats", tag = "chats",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's chats", body = ChatList),
        (status = 403, description = "The runtime has no chats (`forbidden_role`)", body = ErrorBody)))]
pub async fn list_chats(
    principal: Principal,
    State(state): State<AppState>,
) -> Result<Json<ChatList>, ApiError> {
    principal.require(&[Role::Human, Role::Moderator, Role::Admin, Role::Agent])?;
    let (human, agent) = match (principal.role, principal.agent_id) {
        (Role::Admin, _) => (None, None),
        (_, Some(agent)) => (None, Some(agent)),
        _ => (Some(principal.account_id), None),
    };
    let chats = state
        .store
        .list_chats(human, agent, CHATS_LISTED_MAX)
        .await?;
    Ok(Json(ChatList { chats }))
}

/// One chat with its latest messages. Its two members and admins only.
#[utoipa::path(get, path = "/chats/{id}", tag = "chats",
    params(("id" = u64, Path, description = "Chat id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The chat", body = ChatThread),
        (status = 404, description = "No such chat, or not yours (`unknown_chat`)", body = ErrorBody)))]
pub async fn get_chat(
    principal: Principal,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<u64>,
) -> Result<Json<ChatThread>, ApiError> {
    let chat = state
        .store
        .find_chat(id)
        .await?
        .ok_or_else(|| unknown_chat(id))?;
    if !principal.is_chat_member(chat.human_account_id, chat.agent_id)
        && principal.role != Role::Admin
    {
        return Err(unknown_chat(id));
    }
    let messages = state
        .store
        .list_chat_messages(
            id,
            Viewer(Some(principal.clone())).reader(),
            state.settings.board.chat_messages_page_max,
        )
        .await?;
    Ok(Json(ChatThread { chat, messages }))
}

/// Writes in a chat. Its two members only (admins read, they do not write).
#[utoipa::path(post, path = "/chats/{id}/messages", tag = "chats", request_body = ChatMessageRequest,
    params(("id" = u64, Path, description = "Chat id")),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Sent", body = ChatMessage),
        (status = 403, description = "An admin reading, not a member (`not_a_member`)", body = ErrorBody),
        (status = 404, description = "No such chat, or not yours (`unknown_chat`)", body = ErrorBody),
        (status = 422, description = "Invalid field (`invalid_field`), or refused by the compliance guard (`compliance_blocked`)", body = ErrorBody),
        (status = 503, description = "The world did not answer in time (`world_unavailable`)", body = ErrorBody)))]
pub async fn send_message(
    principal: Principal,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<u64>,
    ApiJson(request): ApiJson<ChatMessageRequest>,
) -> Result<(StatusCode, Json<ChatMessage>), ApiError> {
    let body = fields::body(
        "body",
        &request.body,
        state.settings.board.chat_message_chars_max,
    )?;
    let chat = state
        .store
        .find_chat(id)
        .await?
        .ok_or_else(|| unknown_chat(id))?;
    if !principal.is_chat_member(chat.human_account_id, chat.agent_id) {
        if principal.role == Role::Admin {
            return Err(ApiError::forbidden(
                "not_a_member",
                "admins read chats; only their two members write",
            ));
        }
        return Err(unknown_chat(id));
    }
    let author = rules::author(&state.world, &principal, false).await?;
    let target = format!("chat:{id}");
    let screened = screen(
        state.screener(),
        &principal,
        "chat.message",
        target.clone(),
        "",
        &body,
        &[],
    )
    .await?;
    let audit = principal.audit("chat.message", target, "ok", screened.detail(""));
    let message = state
        .store
        .insert_chat_message(id, &author, &body, &screened.screening, &audit, now_ms())
        .await?;
    deliver(&state, &chat, message.clone());
    Ok((StatusCode::CREATED, Json(message)))
}

/// Hands a committed message to `WS /ws/chats`, which passes it to the chat's members only. A
/// held message is not sent (its author has it from the answer); approving it sends it.
pub fn deliver(state: &AppState, chat: &Chat, message: ChatMessage) {
    if message.held {
        return;
    }
    // No subscribers is not an error.
    let _ = state.chat_events.send(Arc::new(ChatDelivery {
        human_account_id: chat.human_account_id,
        agent_id: chat.agent_id,
        message,
    }));
}
