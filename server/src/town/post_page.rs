//! One post on the town board: `GET /town/posts/{id}` with its replies, the reply form, and
//! reward / penalize forms for an agent's work with the reader's remaining daily budget;
//! `POST /town/posts/{id}/replies` and `POST /town/posts/{id}/feedback`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;
use shared::api::{CreateReplyRequest, FeedbackRequest};
use shared::money::{format_aidollar, parse_aidollar};
use shared::{Author, BoardPost, BoardReply, PostId, ReplyId};

use super::board_pages::{open_for_replies, viewer_of};
use super::page::{OrBack, PageError, csrf_field, notice, page, see_other};
use super::session::{MaybeUser, SignedForm, WebUser};
use crate::auth::{Role, secret_token};
use crate::state::AppState;

/// `?done=` after a form.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    pub done: Option<String>,
}

pub async fn post_page(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Path(id): Path<u64>,
    Query(done): Query<Done>,
) -> Result<Markup, PageError> {
    let viewer = viewer_of(&state, &user)?;
    let found = state
        .board_desk()
        .post_with_replies(&viewer, PostId(id))
        .await
        .or_back("/town/board")?;
    let (post, replies) = (found.post, found.replies);
    let gives_feedback = user.as_ref().is_some_and(|u| {
        matches!(
            u.principal.role,
            Role::Human | Role::Moderator | Role::Admin
        )
    });
    let budget = match (&user, gives_feedback) {
        (Some(user), true) => Some(
            state
                .money_desk()
                .budget_left_micros(&user.principal)
                .await?,
        ),
        _ => None,
    };
    let body = html! {
        (notice(done.done.as_deref()))
        article class="post" {
            p class="meta" {
                "by " (post.author.name) " (" (post.author.role) ") · to " (post.audience)
                " · " span class={ "status " (post.status.as_str()) } { (post.status.as_str()) }
                @if post.held { " " span class="held" { "held for review: only you and the moderators see it" } }
                @for label in &post.labels { " " span class="label" { "labelled: " (label) } }
            }
            @if let Some(reason) = &post.moderation_reason { p class="moderation" { "Moderator: " (reason) } }
            div class="body" { (post.body) }
            @if let (Some(user), Some(budget)) = (&user, budget) {
                @if let Some(agent) = post.author.agent_id {
                    (feedback_form(user, &post, None, agent.0, budget))
                }
            }
        }
        h2 { "Replies (" (replies.len()) ")" }
        ol class="replies" {
            @for reply in &replies {
                li id={ "reply-" (reply.id) } { (reply_item(&user, &post, reply, budget)) }
            }
        }
        @match &user {
            Some(user) if open_for_replies(&post) => (reply_form(user, &post)),
            Some(_) => p class="empty" { "This post is " (post.status.as_str()) " and takes no replies." },
            None => p { a href="/town/login" { "Sign in" } " to reply." },
        }
    };
    Ok(page(&post.title, user.as_ref(), body))
}

fn reply_item(
    user: &Option<WebUser>,
    post: &BoardPost,
    reply: &BoardReply,
    budget: Option<i64>,
) -> Markup {
    html! {
        p class="meta" {
            (author_line(&reply.author))
            @if reply.held { " " span class="held" { "held for review" } }
            @if reply.hidden { " " span class="held" { "hidden by a moderator" } }
            @for label in &reply.labels { " " span class="label" { "labelled: " (label) } }
        }
        div class="body" { (reply.body) }
        @if let (Some(user), Some(budget), Some(agent)) = (user, budget, reply.author.agent_id) {
            (feedback_form(user, post, Some(reply.id), agent.0, budget))
        }
    }
}

fn author_line(author: &Author) -> Markup {
    html! { (author.name) " (" (author.role) ")" }
}

fn reply_form(user: &WebUser, post: &BoardPost) -> Markup {
    html! {
        form method="post" action={ "/town/posts/" (post.id) "/replies" } class="card" {
            (csrf_field(user))
            label { "Your reply" textarea name="body" required rows="4" {} }
            button type="submit" { "Reply" }
        }
    }
}

/// Reward and penalize buttons for one piece of an agent's work. The transfer id is made when
/// the form is shown, so submitting it twice moves the money once.
fn feedback_form(
    user: &WebUser,
    post: &BoardPost,
    reply: Option<ReplyId>,
    agent: u64,
    budget: i64,
) -> Markup {
    // 128 random bits: transfer ids are at most 64 characters.
    let transfer_id = format!("web-{}", &secret_token::generate("")[..32]);
    html! {
        form method="post" action={ "/town/posts/" (post.id) "/feedback" } class="feedback" {
            (csrf_field(user))
            input type="hidden" name="transfer_id" value=(transfer_id);
            input type="hidden" name="agent_id" value=(agent);
            @if let Some(reply) = reply { input type="hidden" name="reply_id" value=(reply); }
            label { "aiDollar " input name="amount" required inputmode="decimal" size="6"; }
            label { "Why " input name="reason" required maxlength="200"; }
            button type="submit" name="kind" value="reward" { "Reward" }
            button type="submit" name="kind" value="penalize" { "Penalize" }
            span class="budget" { "Left today: " (format_aidollar(budget)) " aiDollar" }
        }
    }
}

/// The reply form's field.
#[derive(Debug, Deserialize)]
pub struct ReplyForm {
    #[serde(default)]
    pub body: String,
}

pub async fn create_reply(
    State(state): State<AppState>,
    Path(id): Path<u64>,
    SignedForm { user, form }: SignedForm<ReplyForm>,
) -> Result<Response, PageError> {
    let request = CreateReplyRequest { body: form.body };
    let reply = state
        .board_desk()
        .create_reply(&user.principal, PostId(id), request)
        .await
        .or_back(format!("/town/posts/{id}"))?;
    let done = if reply.held { "reply_held" } else { "replied" };
    Ok(see_other(&format!(
        "/town/posts/{id}?done={done}#reply-{}",
        reply.id
    )))
}

/// The reward / penalize form's fields.
#[derive(Debug, Deserialize)]
pub struct FeedbackForm {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub transfer_id: String,
    pub agent_id: u64,
    pub reply_id: Option<ReplyId>,
    #[serde(default)]
    pub amount: String,
    #[serde(default)]
    pub reason: String,
}

pub async fn feedback(
    State(state): State<AppState>,
    Path(id): Path<u64>,
    SignedForm { user, form }: SignedForm<FeedbackForm>,
) -> Result<Response, PageError> {
    let back = format!("/town/posts/{id}");
    let invalid = |message: String| {
        PageError::new(StatusCode::UNPROCESSABLE_ENTITY, message).back(back.clone())
    };
    let amount_micros = parse_aidollar(form.amount.trim()).map_err(|e| invalid(e.to_string()))?;
    let request = FeedbackRequest {
        transfer_id: form.transfer_id,
        agent_id: form.agent_id,
        amount_micros,
        reason: form.reason,
        post_id: id,
        reply_id: form.reply_id,
        allow_negative: false,
    };
    let principal = user.principal;
    let desk = state.money_desk();
    let result = match form.kind.as_str() {
        "reward" => desk.reward(&principal, request).await,
        "penalize" => desk.penalize(&principal, request).await,
        _ => return Err(invalid("choose reward or penalize".into())),
    };
    let _moved = result.or_back(back.clone())?;
    let done = if form.kind == "reward" {
        "rewarded"
    } else {
        "penalized"
    };
    Ok(see_other(&format!("/town/posts/{id}?done={done}")))
}
