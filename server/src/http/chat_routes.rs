//! Direct task chats: `POST /chats`, `GET /chats`, `GET /chats/{id}`,
//! `POST /chats/{id}/messages`: each parses, calls `board::chats` and answers, and a
//! [`ChatError`] becomes its status and code here. A chat is private to its person and its
//! agent; admins may read it. To anyone else it does not exist (404), so ids reveal nothing.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use shared::{ChatId, ChatMessage};

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath};
use crate::auth::Principal;
use crate::board::chats::ChatError;
pub use crate::board::chats::{CHAT_TITLE_CHARS_MAX, CHATS_LISTED_MAX};
use crate::state::AppState;
pub use shared::api::{ChatList, ChatMessageRequest, ChatThread, OpenChatRequest};

impl From<ChatError> for ApiError {
    fn from(error: ChatError) -> Self {
        let message = error.to_string();
        match error {
            ChatError::Access(error) => error.into(),
            ChatError::UnknownChat(_) => Self::not_found("unknown_chat", message),
            ChatError::NotAMember => Self::forbidden("not_a_member", message),
            ChatError::Board(error) => error.into(),
            ChatError::Field(error) => error.into(),
            ChatError::Refused(refusal) => refusal.into(),
            ChatError::Store(error) => error.into(),
        }
    }
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
    let desk = state.chat_desk();
    let (agent, title, body) = (request.agent_id, &request.title, &request.body);
    let thread = desk.open_chat(&principal, agent, title, body).await?;
    Ok((StatusCode::CREATED, Json(thread)))
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
    Ok(Json(state.chat_desk().list_chats(&principal).await?))
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
    Ok(Json(state.chat_desk().chat(&principal, ChatId(id)).await?))
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
    let desk = state.chat_desk();
    let message = desk
        .send_message(&principal, ChatId(id), &request.body)
        .await?;
    Ok((StatusCode::CREATED, Json(message)))
}
