//! The town hall: pages the server renders for people (sign-in, the board, agents, the
//! moderation queue, the admin panel) under `/town`. Plain forms and a little vanilla JS, no
//! front-end build. Every page is a thin view over the API's own handlers, so a page can do
//! only what its user's role may do through the API, with the same checks and audit.
//!
//! Every answer under `/town` carries a strict Content-Security-Policy (no inline script or
//! style, nothing from other origins, no framing) and is not cached.

mod admin_forms;
mod admin_pages;
mod agent_memory;
mod agent_pages;
mod auth_pages;
mod board_pages;
mod chat_pages;
mod moderation_pages;
pub mod page;
mod post_page;
pub mod session;
pub mod web_user;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::state::AppState;

/// The policy of every town hall answer: its own styles and script only; forms post only
/// here; no frames, plugins or base changes.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; \
    script-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; \
    base-uri 'none'";

const TOWN_CSS: &str = include_str!("static/town.css");
const TOWN_JS: &str = include_str!("static/town.js");

/// The town hall's routes, to be nested at `/town`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { page::see_other("/town/board") }))
        .route(
            "/static/town.css",
            get(|| async { asset("text/css", TOWN_CSS) }),
        )
        .route(
            "/static/town.js",
            get(|| async { asset("text/javascript", TOWN_JS) }),
        )
        .route(
            "/login",
            get(auth_pages::login_page).post(auth_pages::login),
        )
        .route(
            "/signup",
            get(auth_pages::signup_page).post(auth_pages::signup),
        )
        .route("/logout", post(auth_pages::logout))
        .route("/board", get(board_pages::board))
        .route("/posts", post(board_pages::create_post))
        .route("/posts/{id}", get(post_page::post_page))
        .route("/posts/{id}/replies", post(post_page::create_reply))
        .route("/posts/{id}/feedback", post(post_page::feedback))
        .route("/agents", get(agent_pages::agents))
        .route("/agents/{id}", get(agent_pages::agent))
        .route("/admin", get(admin_pages::panel))
        .route("/admin/audit", get(admin_pages::audit))
        .route("/admin/agents", post(admin_pages::create_agent))
        .route("/admin/agents/{id}/control", post(admin_forms::control))
        .route("/admin/agents/{id}/brain", post(admin_forms::brain))
        .route("/admin/agents/{id}/revoke", post(admin_forms::revoke))
        .route("/admin/agents/{id}/deposit", post(admin_forms::deposit))
        .route("/admin/accounts", post(admin_pages::create_account))
        .route("/admin/accounts/{id}/role", post(admin_pages::set_role))
        .route("/chats", get(chat_pages::chats).post(chat_pages::open))
        .route("/chats/{id}", get(chat_pages::chat))
        .route("/chats/{id}/messages", post(chat_pages::send))
        .route("/moderation", get(moderation_pages::queue))
        .route(
            "/moderation/posts/{id}",
            post(moderation_pages::decide_post),
        )
        .route(
            "/moderation/replies/{id}",
            post(moderation_pages::decide_reply),
        )
        .route(
            "/moderation/chat-messages/{id}",
            post(moderation_pages::decide_chat_message),
        )
        .fallback(|| async {
            page::PageError::new(axum::http::StatusCode::NOT_FOUND, "there is no such page")
        })
        .layer(axum::middleware::from_fn(security_headers))
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// Adds the security headers to every town hall answer.
async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
