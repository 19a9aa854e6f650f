//! Who is using the town hall's pages: the browser session behind the `village_session`
//! cookie (HttpOnly, SameSite=Strict, Secure when `auth.secure_cookies`), read on every request
//! with its account's current role. Every form is checked against a CSRF token: a signed-in
//! form against its session's token ([`SignedForm`]), a sign-in or sign-up form against a
//! token in a cookie of its own ([`AnonymousForm`], the double-submit pattern). A form posted
//! from another origin is refused whatever its token.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use shared::AccountId;
use subtle::ConstantTimeEq;

use super::page::PageError;
pub use super::web_user::WebUser;
use crate::auth::principal::RequestMeta;
use crate::auth::{Principal, Role, secret_token};
use crate::clock::now_ms;
use crate::http::caller::check_request_limit;
use crate::state::AppState;

/// The session cookie: a random token whose hash names the session.
pub const SESSION_COOKIE: &str = "village_session";
/// The CSRF token of the sign-in and sign-up forms, before there is a session.
pub const FORM_COOKIE: &str = "village_form";
/// Prefix of session tokens (and of CSRF tokens), so a leaked one is recognisable.
pub const SESSION_TOKEN_PREFIX: &str = "vws_";
pub const CSRF_TOKEN_PREFIX: &str = "csrf_";

/// The signed-in person, if any.
#[derive(Debug, Clone)]
pub struct MaybeUser(pub Option<WebUser>);

/// A signed-in person, or a redirect to the sign-in page.
#[derive(Debug, Clone)]
pub struct SignedIn(pub WebUser);

/// A form from a signed-in person, its CSRF token checked; `T` is the form's other fields.
#[derive(Debug)]
pub struct SignedForm<T> {
    pub user: WebUser,
    pub form: T,
}

/// A form from someone not signed in (sign-in, sign-up), checked against the form cookie.
#[derive(Debug)]
pub struct AnonymousForm<T>(pub T);

#[derive(Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

/// The cookie that carries a session token (or a form token) for `max_age_s`.
pub fn cookie(
    state: &AppState,
    name: &'static str,
    value: String,
    max_age_s: u64,
) -> Cookie<'static> {
    let max_age = i64::try_from(max_age_s).unwrap_or(i64::MAX);
    Cookie::build((name, value))
        .path("/town")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.settings.auth.secure_cookies)
        .max_age(::cookie::time::Duration::seconds(max_age))
        .build()
}

/// The same cookie, expired (sign-out).
pub fn removal(state: &AppState, name: &'static str) -> Cookie<'static> {
    let mut gone = cookie(state, name, String::new(), 0);
    gone.make_removal();
    gone
}

async fn web_user(parts: &mut Parts, state: &AppState) -> Result<Option<WebUser>, PageError> {
    let jar = CookieJar::from_headers(&parts.headers);
    let meta = match RequestMeta::from_request_parts(parts, state).await {
        Ok(meta) => meta,
        Err(never) => match never {},
    };
    let signed_out = |meta: &RequestMeta| {
        state
            .rate_limits
            .check_anonymous(meta.ip)
            .map_err(|_| too_many("too many requests from this address; slow down"))
    };
    let Some(token) = jar.get(SESSION_COOKIE).map(|c| c.value().to_string()) else {
        signed_out(&meta)?;
        return Ok(None);
    };
    let Some(session) = state
        .store
        .find_web_session(&secret_token::hash(&token), now_ms())
        .await?
    else {
        // Expired, ended or forged: treated as signed out (the page offers sign-in), and
        // counted as a visitor's request, so a made-up cookie buys no extra requests.
        signed_out(&meta)?;
        return Ok(None);
    };
    let role: Role = session
        .role
        .parse()
        .map_err(|e: String| PageError::from(crate::http::error::ApiError::internal(e)))?;
    let principal = Principal {
        account_id: AccountId(session.account_id),
        role,
        name: session.username.clone(),
        agent_id: None,
        session_id: None,
        expires_at_s: u64::try_from(session.expires_at_ms / 1000).ok(),
        agent_token_hash: None,
        meta,
    };
    check_request_limit(state, &principal)?;
    if parts.method != Method::GET && parts.method != Method::HEAD {
        state
            .rate_limits
            .check_write(principal.account_id.0)
            .map_err(|_| too_many("too many changes from this account; slow down"))?;
    }
    Ok(Some(WebUser { principal, session }))
}

fn too_many(message: &str) -> PageError {
    PageError::new(StatusCode::TOO_MANY_REQUESTS, message)
}

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        Ok(MaybeUser(web_user(parts, state).await?))
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        match web_user(parts, state).await? {
            Some(user) => Ok(SignedIn(user)),
            None => Err(PageError::Redirect("/town/login".into())),
        }
    }
}

/// Refuses a form whose `Origin` (or, without one, `Referer`) names another site: a browser
/// always sends one of them on a cross-site POST.
fn check_origin(headers: &HeaderMap) -> Result<(), PageError> {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let source = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|h| h.to_str().ok());
    let (Some(host), Some(source)) = (host, source) else {
        return Ok(());
    };
    let source_host = source
        .split_once("://")
        .map_or(source, |(_, rest)| rest)
        .split('/')
        .next()
        .unwrap_or_default();
    if source_host.eq_ignore_ascii_case(host) {
        Ok(())
    } else {
        Err(forged())
    }
}

fn forged() -> PageError {
    PageError::new(
        StatusCode::FORBIDDEN,
        "this form is out of date or did not come from this site; reload the page and try again",
    )
}

fn tokens_match(given: &str, expected: &str) -> bool {
    !expected.is_empty() && bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
}

/// Reads a form body once: its CSRF token and its fields.
async fn read_form<T: DeserializeOwned>(
    parts: Parts,
    body: axum::body::Body,
    state: &AppState,
) -> Result<(String, T), PageError> {
    let request = Request::from_parts(parts, body);
    let bytes = Bytes::from_request(request, state)
        .await
        .map_err(|_| PageError::new(StatusCode::PAYLOAD_TOO_LARGE, "the form is too large"))?;
    let CsrfField { csrf } = serde_urlencoded::from_bytes(&bytes).map_err(|_| forged())?;
    let form = serde_urlencoded::from_bytes(&bytes).map_err(|e| {
        PageError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("the form is not valid: {e}"),
        )
    })?;
    Ok((csrf, form))
}

impl<T: DeserializeOwned> FromRequest<AppState> for SignedForm<T> {
    type Rejection = PageError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, PageError> {
        let (mut parts, body) = request.into_parts();
        check_origin(&parts.headers)?;
        let SignedIn(user) = SignedIn::from_request_parts(&mut parts, state).await?;
        let (csrf, form) = read_form(parts, body, state).await?;
        if !tokens_match(&csrf, &user.session.csrf_token) {
            return Err(forged());
        }
        Ok(SignedForm { user, form })
    }
}

impl<T: DeserializeOwned> FromRequest<AppState> for AnonymousForm<T> {
    type Rejection = PageError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, PageError> {
        let (parts, body) = request.into_parts();
        check_origin(&parts.headers)?;
        let jar = CookieJar::from_headers(&parts.headers);
        let expected = jar
            .get(FORM_COOKIE)
            .map(|c| c.value().to_string())
            .unwrap_or_default();
        let (csrf, form) = read_form(parts, body, state).await?;
        if !tokens_match(&csrf, &expected) {
            return Err(forged());
        }
        Ok(AnonymousForm(form))
    }
}
