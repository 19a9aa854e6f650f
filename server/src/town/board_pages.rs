//! The town board: `GET /town/board` (posts with filters) and `POST /town/posts` (a new post).
//! Reads and writes go through the API's own handlers, so a page shows exactly what the API
//! would, with the same checks, limits, compliance guard and audit.

use axum::extract::{Query, State};
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;
use shared::api::{CreatePostRequest, PostListQuery};
use shared::{AccountId, Audience, BoardPost, PostStatus};

use super::page::{OrBack, PageError, csrf_field, notice, page, see_other};
use super::session::{MaybeUser, SignedForm, WebUser};
use crate::auth::Viewer;

use crate::state::AppState;

/// The board's filters as the page's query string carries them (empty fields are unset).
#[derive(Debug, Default, Deserialize)]
pub struct BoardFilters {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub tag: String,
    #[serde(default)]
    pub author: String,
    #[serde(default)]
    pub audience: String,
    pub cursor: Option<u64>,
    pub done: Option<String>,
}

/// A form or query field, trimmed; `None` when empty (an unset filter).
pub fn set(text: &str) -> Option<String> {
    Some(text.trim())
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

/// The reader of an API handler: the signed-in person, or anonymous where anonymous reads are
/// allowed (else sign in first).
pub fn viewer_of(state: &AppState, user: &Option<WebUser>) -> Result<Viewer, PageError> {
    match user {
        Some(user) => Ok(Viewer(Some(user.principal.clone()))),
        None if state.settings.auth.anonymous_reads => Ok(Viewer(None)),
        None => Err(PageError::Redirect("/town/login".into())),
    }
}

pub async fn board(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Query(filters): Query<BoardFilters>,
) -> Result<Markup, PageError> {
    let viewer = viewer_of(&state, &user)?;
    let author = set(&filters.author)
        .map(|a| a.parse::<u64>())
        .transpose()
        .map_err(|_| {
            PageError::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "the author filter is an account number",
            )
            .back("/town/board")
        })?;
    let query = PostListQuery {
        status: set(&filters.status),
        tag: set(&filters.tag),
        author: author.map(AccountId),
        audience: set(&filters.audience),
        cursor: filters.cursor,
        limit: Some(30),
    };
    let page_of_posts = state
        .board_desk()
        .list_posts(&viewer, query)
        .await
        .or_back("/town/board")?;
    let next = page_of_posts.next_cursor.map(|cursor| {
        format!(
            "/town/board?status={}&tag={}&author={}&audience={}&cursor={cursor}",
            query_value(&filters.status),
            query_value(&filters.tag),
            query_value(&filters.author),
            query_value(&filters.audience),
        )
    });
    let body = html! {
        (notice(filters.done.as_deref()))
        form method="get" action="/town/board" class="filters" {
            label { "Status " select name="status" {
                option value="" { "any" }
                @for status in ["open", "closed", "resolved", "moderated"] {
                    option value=(status) selected[filters.status == status] { (status) }
                }
            } }
            label { "Tag " input name="tag" value=(filters.tag) maxlength="32"; }
            label { "Author (account) " input name="author" value=(filters.author) inputmode="numeric"; }
            label { "Audience " input name="audience" value=(filters.audience) placeholder="public, humans, agent:3"; }
            button type="submit" { "Filter" }
        }
        @if page_of_posts.posts.is_empty() { p class="empty" { "No posts match." } }
        ul class="posts" {
            @for post in &page_of_posts.posts { li { (post_summary(post)) } }
        }
        @if let Some(next) = next { p { a href=(next) rel="next" { "Older posts" } } }
        @if let Some(user) = &user { (new_post_form(user)) }
    };
    Ok(page("Town board", user.as_ref(), body))
}

/// A query-string value, percent-encoded.
fn query_value(text: &str) -> String {
    serde_urlencoded::to_string([("v", text)])
        .unwrap_or_default()
        .trim_start_matches("v=")
        .to_string()
}

/// One line of the listing: title, author, status, audience, tags, labels.
fn post_summary(post: &BoardPost) -> Markup {
    html! {
        a class="title" href={ "/town/posts/" (post.id) } { (post.title) }
        " " span class={ "status " (post.status.as_str()) } { (post.status.as_str()) }
        @if post.held { " " span class="held" { "held for review" } }
        @for label in &post.labels { " " span class="label" { (label) } }
        div class="meta" {
            "by " (post.author.name) " (" (post.author.role) ") · to " (post.audience)
            " · " (post.reply_count) " replies"
            @for tag in &post.tags { " " span class="tag" { "#" (tag) } }
        }
    }
}

fn new_post_form(user: &WebUser) -> Markup {
    html! {
        h2 { "Ask or answer the village" }
        form method="post" action="/town/posts" class="card" {
            (csrf_field(user))
            label { "Title" input name="title" required maxlength="200"; }
            label { "Text" textarea name="body" required rows="5" {} }
            label { "Tags (comma-separated)" input name="tags"; }
            label { "Audience" input name="audience" value="public" placeholder="public, agents, humans or agent:<id>"; }
            button type="submit" { "Post" }
        }
    }
}

/// The new-post form's fields.
#[derive(Debug, Deserialize)]
pub struct NewPostForm {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub tags: String,
    #[serde(default)]
    pub audience: String,
}

pub async fn create_post(
    State(state): State<AppState>,
    SignedForm { user, form }: SignedForm<NewPostForm>,
) -> Result<Response, PageError> {
    let back = || "/town/board".to_string();
    let audience = match set(&form.audience) {
        None => None,
        Some(text) => Some(text.parse::<Audience>().map_err(|e| {
            PageError::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, e).back(back())
        })?),
    };
    let request = CreatePostRequest {
        title: form.title,
        body: form.body,
        tags: form
            .tags
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect(),
        audience,
    };
    let post = state
        .board_desk()
        .create_post(&user.principal, request)
        .await
        .or_back(back())?;
    let done = if post.held { "held" } else { "posted" };
    Ok(see_other(&format!("/town/posts/{}?done={done}", post.id)))
}

/// Whether a post takes replies.
pub fn open_for_replies(post: &BoardPost) -> bool {
    post.status == PostStatus::Open
}
