//! The moderation queue for moderators and admins: `GET /town/moderation` lists the posts,
//! replies and chat messages the compliance guard held or labelled, with the rules that fired, and the latest
//! decisions of the guard; `POST /town/moderation/posts/{id}` and `.../replies/{id}` approve,
//! hide, lock or resolve them through `board::moderation`, as the API does (audited with who
//! and why).

use axum::extract::{Path, Query, State};
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;
use shared::{MessageId, ReplyId};

use super::page::{OrBack, PageError, csrf_field, notice, page, see_other};
use super::post_page::Done;
use super::session::{SignedForm, SignedIn, WebUser};
use crate::board::moderation::{ModerationAction, ReplyModerationAction};
use crate::http::error::ApiError;
use crate::state::AppState;
use crate::store::DecisionRecord;

pub async fn queue(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    Query(done): Query<Done>,
) -> Result<Markup, PageError> {
    let desk = state.moderation_desk();
    let principal = &user.principal;
    let queue = desk.review_queue(principal).await.map_err(ApiError::from)?;
    let recent = desk
        .decisions(principal, None, None, Some(50))
        .await
        .map_err(ApiError::from)?;
    let body = html! {
        (notice(done.done.as_deref()))
        @if queue.posts.is_empty() && queue.replies.is_empty() && queue.chat_messages.is_empty() {
            p class="empty" { "Nothing waits for a decision." }
        }
        @for entry in &queue.posts {
            section class="card review" {
                h2 { a href={ "/town/posts/" (entry.item.id) } { (entry.item.title) } }
                p class="meta" { "post " (entry.item.id) " by " (entry.item.author.name)
                    " (" (entry.item.author.role) ")"
                    @if entry.item.held { " · " span class="held" { "held" } } }
                div class="body" { (entry.item.body) }
                (findings(&entry.decisions))
                (decision_form(&user, &format!("/town/moderation/posts/{}", entry.item.id),
                    &["approve", "hide", "lock", "resolve"]))
            }
        }
        @for entry in &queue.replies {
            section class="card review" {
                h2 { "Reply " (entry.item.id) " under "
                    a href={ "/town/posts/" (entry.item.post_id) } { "post " (entry.item.post_id) } }
                p class="meta" { "by " (entry.item.author.name) " (" (entry.item.author.role) ")"
                    @if entry.item.held { " · " span class="held" { "held" } } }
                div class="body" { (entry.item.body) }
                (findings(&entry.decisions))
                (decision_form(&user, &format!("/town/moderation/replies/{}", entry.item.id),
                    &["approve", "hide"]))
            }
        }
        @for entry in &queue.chat_messages {
            section class="card review" {
                h2 { "Message " (entry.item.id) " in task chat " (entry.item.chat_id) }
                p class="meta" { "by " (entry.item.author.name) " (" (entry.item.author.role) ")"
                    @if entry.item.held { " · " span class="held" { "held" } } }
                div class="body" { (entry.item.body) }
                (findings(&entry.decisions))
                (decision_form(&user, &format!("/town/moderation/chat-messages/{}", entry.item.id),
                    &["approve", "hide"]))
            }
        }
        h2 { "Latest decisions of the guard" }
        (decision_table(&recent.decisions))
    };
    Ok(page("Moderation queue", Some(&user), body))
}

fn findings(decisions: &[DecisionRecord]) -> Markup {
    html! {
        ul class="findings" {
            @for d in decisions {
                li { span class="label" { (d.rule) } " " (d.action) ": " code { (d.excerpt) } }
            }
        }
    }
}

fn decision_form(user: &WebUser, action: &str, choices: &[&str]) -> Markup {
    html! {
        form method="post" action=(action) class="decision" {
            (csrf_field(user))
            label { "Why " input name="reason" required maxlength="500"; }
            @for choice in choices {
                button type="submit" name="action" value=(choice) { (choice) }
            }
        }
    }
}

/// The guard's decisions as a table (target, rule, action, masked excerpt).
pub fn decision_table(decisions: &[DecisionRecord]) -> Markup {
    html! {
        table class="grid" {
            thead { tr { th { "When (ms)" } th { "Target" } th { "Author" } th { "Rule" } th { "Action" } th { "Excerpt" } } }
            tbody {
                @for d in decisions {
                    tr { td { (d.at_ms) } td { (d.target) } td { "account " (d.author_account_id) }
                        td { (d.rule) } td { (d.action) } td { code { (d.excerpt) } } }
                }
            }
        }
    }
}

/// A moderator's decision form.
#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub reason: String,
}

fn unknown_action(back: &str) -> PageError {
    PageError::new(
        axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        "choose one of the decisions offered",
    )
    .back(back)
}

pub async fn decide_post(
    State(state): State<AppState>,
    Path(id): Path<u64>,
    SignedForm { user, form }: SignedForm<DecisionForm>,
) -> Result<Response, PageError> {
    let action = match form.action.as_str() {
        "approve" => ModerationAction::Approve,
        "hide" => ModerationAction::Hide,
        "lock" => ModerationAction::Lock,
        "resolve" => ModerationAction::Resolve,
        "reopen" => ModerationAction::Reopen,
        _ => return Err(unknown_action(QUEUE)),
    };
    let desk = state.moderation_desk();
    decided(
        desk.moderate_post(&user.principal, id, action, &form.reason)
            .await,
    )
}

/// A reply or chat message decision (approve or hide).
fn approve_or_hide(form: &DecisionForm) -> Result<ReplyModerationAction, PageError> {
    match form.action.as_str() {
        "approve" => Ok(ReplyModerationAction::Approve),
        "hide" => Ok(ReplyModerationAction::Hide),
        _ => Err(unknown_action(QUEUE)),
    }
}

/// Back to the queue after a decision taken; its error page otherwise.
fn decided<T, E: Into<ApiError>>(answer: Result<T, E>) -> Result<Response, PageError> {
    answer.or_back(QUEUE)?;
    Ok(see_other("/town/moderation?done=moderated"))
}

const QUEUE: &str = "/town/moderation";

pub async fn decide_chat_message(
    State(state): State<AppState>,
    Path(id): Path<u64>,
    SignedForm { user, form }: SignedForm<DecisionForm>,
) -> Result<Response, PageError> {
    let action = approve_or_hide(&form)?;
    let desk = state.moderation_desk();
    decided(
        desk.moderate_chat_message(&user.principal, MessageId(id), action, &form.reason)
            .await,
    )
}

pub async fn decide_reply(
    State(state): State<AppState>,
    Path(id): Path<u64>,
    SignedForm { user, form }: SignedForm<DecisionForm>,
) -> Result<Response, PageError> {
    let action = approve_or_hide(&form)?;
    let desk = state.moderation_desk();
    decided(
        desk.moderate_reply(&user.principal, ReplyId(id), action, &form.reason)
            .await,
    )
}
