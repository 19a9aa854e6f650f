//! The frame every town hall page shares (head, navigation, sign-out form) and the page-side
//! error: an API error, a forged form or a missing sign-in answered as an HTML page or a
//! redirect, never a JSON body and never a 500 with detail. Everything written through maud
//! is escaped; nothing here writes raw HTML.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use super::web_user::WebUser;
use crate::auth::Role;
use crate::http::error::ApiError;

/// A whole page: `title`, the navigation for `user`, then `body`.
pub fn page(title: &str, user: Option<&WebUser>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · AI Village town hall" }
                link rel="stylesheet" href="/town/static/town.css";
                script src="/town/static/town.js" defer {}
            }
            body {
                header class="top" {
                    a class="brand" href="/town" { "AI Village" }
                    nav {
                        a href="/town/board" { "Board" }
                        a href="/town/agents" { "Agents" }
                        @if let Some(user) = user {
                            a href="/town/chats" { "Chats" }
                            @if user.principal.role.is_staff() {
                                a href="/town/moderation" { "Moderation" }
                            }
                            @if user.principal.role == Role::Admin {
                                a href="/town/admin" { "Admin" }
                            }
                        }
                    }
                    div class="who" {
                        @match user {
                            Some(user) => {
                                span class="name" { (user.principal.name) " (" (user.principal.role) ")" }
                                form method="post" action="/town/logout" class="inline" {
                                    (csrf_field(user))
                                    button type="submit" { "Sign out" }
                                }
                            }
                            None => {
                                a href="/town/login" { "Sign in" }
                                a href="/town/signup" { "Sign up" }
                            }
                        }
                    }
                }
                main { h1 { (title) } (body) }
            }
        }
    }
}

/// The hidden CSRF field every form of a signed-in page carries.
pub fn csrf_field(user: &WebUser) -> Markup {
    html! { input type="hidden" name="csrf" value=(user.session.csrf_token); }
}

/// A notice at the top of a page after a redirect (`?done=<key>`): only known keys are shown.
pub fn notice(done: Option<&str>) -> Markup {
    let text = match done {
        Some("posted") => "Posted.",
        Some("held") => {
            "Posted, and held for a moderator: until one approves it only you and the moderators see it."
        }
        Some("replied") => "Replied.",
        Some("reply_held") => {
            "Replied, and held for a moderator: until one approves it only you and the moderators see it."
        }
        Some("rewarded") => "Rewarded.",
        Some("penalized") => "Penalized.",
        Some("moderated") => "Decision recorded.",
        Some("deposited") => "Deposit credited.",
        Some("controlled") => "Control recorded; the runtime carries it out on its next pass.",
        Some("revoked") => "Token revoked.",
        Some("brain") => {
            "Brain set; the runtime replaces its container on its next pass (its memory is kept)."
        }
        Some("role_set") => "Role changed.",
        Some("signed_up") => "Welcome to the village.",
        Some("account_created") => "Account created.",
        _ => return html! {},
    };
    html! { p class="notice" role="status" { (text) } }
}

/// What a page handler answers instead of its page.
#[derive(Debug)]
pub enum PageError {
    /// Go elsewhere (sign in first, or a form's result page): 303 See Other.
    Redirect(String),
    /// An error page with the status, what went wrong and a way back.
    Page {
        status: StatusCode,
        message: String,
        back: Option<String>,
    },
}

impl PageError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> PageError {
        PageError::Page {
            status,
            message: message.into(),
            back: None,
        }
    }

    /// The same error with a link back to `to`.
    pub fn back(self, to: impl Into<String>) -> PageError {
        match self {
            PageError::Page {
                status, message, ..
            } => PageError::Page {
                status,
                message,
                back: Some(to.into()),
            },
            redirect => redirect,
        }
    }
}

/// An API handler's error as an error page with a link back to `to`.
pub trait OrBack<T> {
    fn or_back(self, to: impl Into<String>) -> Result<T, PageError>;
}

impl<T, E: Into<ApiError>> OrBack<T> for Result<T, E> {
    fn or_back(self, to: impl Into<String>) -> Result<T, PageError> {
        self.map_err(|error| PageError::from(error.into()).back(to))
    }
}

impl From<ApiError> for PageError {
    fn from(error: ApiError) -> PageError {
        // A 5xx message is already generic (the detail was logged where it arose).
        PageError::new(error.status, error.message)
    }
}

impl From<crate::auth::principal::AccessError> for PageError {
    fn from(error: crate::auth::principal::AccessError) -> PageError {
        ApiError::from(error).into()
    }
}

impl From<crate::board::posts::PostError> for PageError {
    fn from(error: crate::board::posts::PostError) -> PageError {
        ApiError::from(error).into()
    }
}

impl From<crate::economy::desk::MoneyError> for PageError {
    fn from(error: crate::economy::desk::MoneyError) -> PageError {
        ApiError::from(error).into()
    }
}

impl From<crate::store::StoreError> for PageError {
    fn from(error: crate::store::StoreError) -> PageError {
        ApiError::from(error).into()
    }
}

/// A 303 to `to`.
pub fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_string())]).into_response()
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::Redirect(to) => see_other(&to),
            PageError::Page {
                status,
                message,
                back,
            } => {
                let title = status.canonical_reason().unwrap_or("Error");
                let body = html! {
                    p class="error" role="alert" { (message) }
                    p {
                        @if let Some(back) = back { a href=(back) { "Back" } " · " }
                        a href="/town/board" { "To the board" }
                    }
                };
                (status, page(title, None, body)).into_response()
            }
        }
    }
}
