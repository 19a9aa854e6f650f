//! A person's direct task chats with agents: `GET /town/chats` (theirs, most recent first, and
//! a form to open one), `POST /town/chats`, `GET /town/chats/{id}` (the messages and a reply
//! form) and `POST /town/chats/{id}/messages`, through `board::chats`, as the API does
//! (members only; everyone else gets the same 404 as a chat that does not exist).

use axum::extract::{Path, State};
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;
use shared::{AgentId, ChatId};

use super::page::{OrBack, PageError, csrf_field, page, see_other};
use super::session::{SignedForm, SignedIn};
use crate::http::error::ApiError;
use crate::state::AppState;

pub async fn chats(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
) -> Result<Markup, PageError> {
    let list = state
        .chat_desk()
        .list_chats(&user.principal)
        .await
        .map_err(ApiError::from)?;
    let agents = state
        .world
        .call(|world, _| {
            world
                .agents()
                .map(|a| (a.id, a.display_name.clone()))
                .collect::<Vec<_>>()
        })
        .await
        .map_err(ApiError::from)?;
    let body = html! {
        @if list.chats.is_empty() { p class="empty" { "No chats yet." } }
        ul class="posts" {
            @for chat in &list.chats {
                li { a class="title" href={ "/town/chats/" (chat.id) } { (chat.title) }
                     div class="meta" { (chat.human_name) " with agent " (chat.agent_id) } }
            }
        }
        h2 { "Ask an agent directly" }
        form method="post" action="/town/chats" class="card" {
            (csrf_field(&user))
            label { "Agent" select name="agent_id" {
                @for (id, name) in &agents { option value=(id) { (name) " (#" (id) ")" } }
            } }
            label { "Task" input name="title" required maxlength="120"; }
            label { "Message" textarea name="body" required rows="4" {} }
            button type="submit" { "Open chat" }
        }
    };
    Ok(page("Task chats", Some(&user), body))
}

/// The open-chat form.
#[derive(Debug, Deserialize)]
pub struct OpenForm {
    pub agent_id: u64,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub body: String,
}

pub async fn open(
    State(state): State<AppState>,
    SignedForm { user, form }: SignedForm<OpenForm>,
) -> Result<Response, PageError> {
    let agent = AgentId(form.agent_id);
    let thread = state
        .chat_desk()
        .open_chat(&user.principal, agent, &form.title, &form.body)
        .await
        .or_back("/town/chats")?;
    Ok(see_other(&format!("/town/chats/{}", thread.chat.id)))
}

pub async fn chat(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    Path(id): Path<u64>,
) -> Result<Markup, PageError> {
    let thread = state
        .chat_desk()
        .chat(&user.principal, ChatId(id))
        .await
        .or_back("/town/chats")?;
    let body = html! {
        p class="meta" { (thread.chat.human_name) " with " a href={ "/town/agents/" (thread.chat.agent_id) } { "agent " (thread.chat.agent_id) } }
        ol class="replies" {
            @for message in &thread.messages {
                li { p class="meta" { (message.author.name) " (" (message.author.role) ")"
                        @if message.held { " " span class="held" { "held for review: only you and the moderators see it" } }
                        @if message.hidden { " " span class="held" { "hidden by a moderator" } }
                        @for label in &message.labels { " " span class="label" { "labelled: " (label) } } }
                     div class="body" { (message.body) } }
            }
        }
        form method="post" action={ "/town/chats/" (id) "/messages" } class="card" {
            (csrf_field(&user))
            label { "Message" textarea name="body" required rows="3" {} }
            button type="submit" { "Send" }
        }
    };
    Ok(page(&thread.chat.title, Some(&user), body))
}

/// The message form.
#[derive(Debug, Deserialize)]
pub struct MessageForm {
    #[serde(default)]
    pub body: String,
}

pub async fn send(
    State(state): State<AppState>,
    Path(id): Path<u64>,
    SignedForm { user, form }: SignedForm<MessageForm>,
) -> Result<Response, PageError> {
    let _sent = state
        .chat_desk()
        .send_message(&user.principal, ChatId(id), &form.body)
        .await
        .or_back(format!("/town/chats/{id}"))?;
    Ok(see_other(&format!("/town/chats/{id}")))
}
