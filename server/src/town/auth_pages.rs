//! Signing in, signing up and signing out of the town hall: `GET/POST /town/login`,
//! `GET/POST /town/signup`, `POST /town/logout`. Passwords are checked exactly as
//! `POST /auth/login` checks them (same rate limits, same audit); sign-up is
//! `POST /auth/register`. Signing out ends the session in the store, not only the cookie.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use maud::html;
use serde::Deserialize;
use shared::api::Credentials;

use super::page::{PageError, page, see_other};
use super::session::{
    AnonymousForm, CSRF_TOKEN_PREFIX, FORM_COOKIE, MaybeUser, SESSION_COOKIE, SESSION_TOKEN_PREFIX,
    SignedForm, cookie, removal,
};
use crate::auth::principal::RequestMeta;
use crate::auth::{Role, secret_token};
use crate::clock::now_ms;
use crate::http::error::ApiError;
use crate::state::AppState;

/// How long a sign-in form's token lives: long enough to type a password.
const FORM_TOKEN_TTL_S: u64 = 3600;

/// A sign-in or sign-up form.
#[derive(Debug, Deserialize)]
pub struct CredentialsForm {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: String,
}

/// The sign-in or sign-up page with a fresh form token (also set as the form cookie).
fn credentials_page(
    state: &AppState,
    jar: CookieJar,
    signup: bool,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let token = secret_token::generate(CSRF_TOKEN_PREFIX);
    let jar = jar.add(cookie(state, FORM_COOKIE, token.clone(), FORM_TOKEN_TTL_S));
    let (title, action, button) = if signup {
        ("Sign up", "/town/signup", "Create my account")
    } else {
        ("Sign in", "/town/login", "Sign in")
    };
    let body = html! {
        @if let Some(error) = error { p class="error" role="alert" { (error) } }
        form method="post" action=(action) class="card" {
            input type="hidden" name="csrf" value=(token);
            label { "Username" input name="username" autocomplete="username" required maxlength="32"; }
            label { "Password" input name="password" type="password" required
                autocomplete=(if signup { "new-password" } else { "current-password" }); }
            button type="submit" { (button) }
        }
        @if signup {
            p { "Already living here? " a href="/town/login" { "Sign in" } }
        } @else {
            p { "New to the village? " a href="/town/signup" { "Sign up" } }
        }
    };
    (status, jar, page(title, None, body)).into_response()
}

pub async fn login_page(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    jar: CookieJar,
) -> Response {
    if user.is_some() {
        return see_other("/town/board");
    }
    credentials_page(&state, jar, false, None, StatusCode::OK)
}

pub async fn signup_page(State(state): State<AppState>, jar: CookieJar) -> Response {
    credentials_page(&state, jar, true, None, StatusCode::OK)
}

/// Opens a browser session for an account, sets its cookie, and sends the browser to `to`.
async fn start_web_session(
    state: &AppState,
    meta: &RequestMeta,
    (account_id, role): (u64, Role),
    jar: CookieJar,
    to: &str,
) -> Result<Response, PageError> {
    let token = secret_token::generate(SESSION_TOKEN_PREFIX);
    let csrf = secret_token::generate(CSRF_TOKEN_PREFIX);
    let ttl_s = state.settings.auth.web_session_ttl_s;
    let now = now_ms();
    let expires = now.saturating_add(i64::try_from(ttl_s.saturating_mul(1000)).unwrap_or(i64::MAX));
    let audit = meta.audit(
        Some((account_id, role)),
        "auth.web_login",
        String::new(),
        "ok",
        String::new(),
    );
    state
        .store
        .insert_web_session(
            account_id,
            &secret_token::hash(&token),
            &csrf,
            expires,
            &audit,
            now,
        )
        .await?
        .ok_or_else(|| PageError::new(StatusCode::FORBIDDEN, "this account is revoked"))?;
    let jar = jar
        .add(cookie(state, SESSION_COOKIE, token, ttl_s))
        .remove(removal(state, FORM_COOKIE));
    Ok((jar, see_other(to)).into_response())
}

pub async fn login(
    State(state): State<AppState>,
    meta: RequestMeta,
    jar: CookieJar,
    AnonymousForm(form): AnonymousForm<CredentialsForm>,
) -> Result<Response, PageError> {
    let credentials = Credentials {
        username: form.username,
        password: form.password,
    };
    let desk = state.sign_in_desk();
    let (account, role) = match desk.check_login(&meta, &credentials).await {
        Ok(found) => found,
        Err(error) => {
            let error = ApiError::from(error);
            return Ok(credentials_page(
                &state,
                jar,
                false,
                Some(&error.message),
                error.status,
            ));
        }
    };
    let signed_in =
        start_web_session(&state, &meta, (account.id.0, role), jar, "/town/board").await?;
    state.sign_in_desk().count_login("ok");
    Ok(signed_in)
}

pub async fn signup(
    State(state): State<AppState>,
    meta: RequestMeta,
    jar: CookieJar,
    AnonymousForm(form): AnonymousForm<CredentialsForm>,
) -> Result<Response, PageError> {
    let credentials = Credentials {
        username: form.username,
        password: form.password,
    };
    let created = state.sign_in_desk().register(&meta, credentials).await;
    let created = match created {
        Ok(created) => created,
        Err(error) => {
            let error = ApiError::from(error);
            return Ok(credentials_page(
                &state,
                jar,
                true,
                Some(&error.message),
                error.status,
            ));
        }
    };
    let account = (created.id.0, Role::Human);
    start_web_session(&state, &meta, account, jar, "/town/board?done=signed_up").await
}

/// No fields but the CSRF token.
#[derive(Debug, Deserialize)]
pub struct EmptyForm {}

pub async fn logout(
    State(state): State<AppState>,
    jar: CookieJar,
    SignedForm { user, .. }: SignedForm<EmptyForm>,
) -> Result<Response, PageError> {
    let sid = user.session.id;
    let audit = user.principal.audit(
        "auth.web_logout",
        format!("web_session:{sid}"),
        "ok",
        String::new(),
    );
    state.store.end_web_session(sid, &audit, now_ms()).await?;
    let jar = jar.remove(removal(&state, SESSION_COOKIE));
    Ok((jar, see_other("/town/login")).into_response())
}
