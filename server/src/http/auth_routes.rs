//! `POST /auth/register`, `/auth/login`, `/auth/refresh`, `/auth/logout`: accounts for people,
//! access tokens (JWT) and the sessions behind them.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use shared::api::{Credentials, RefreshRequest, TokenResponse};
use utoipa::ToSchema;

use super::credential_change::credential_change;
use super::error::{ApiError, ErrorBody};
use super::extract::ApiJson;
use crate::auth::principal::RequestMeta;
use crate::auth::sign_in::SignInError;
use crate::auth::{Principal, Role, secret_token};
use crate::clock::now_ms;
use crate::state::AppState;

/// Usernames: the rule's limits (`auth::username_rule`).
pub use crate::auth::username_rule::{USERNAME_CHARS_MAX, USERNAME_CHARS_MIN};

/// A new account.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountCreated {
    pub account_id: u64,
    pub username: String,
    pub role: Role,
}

impl From<SignInError> for ApiError {
    fn from(error: SignInError) -> Self {
        let message = error.to_string();
        match error {
            SignInError::RegistrationClosed => ApiError::forbidden("registration_closed", message),
            SignInError::RegisterRateLimited(wait) => {
                ApiError::too_many_requests("register_rate_limited", message, wait)
            }
            SignInError::Username(_) => ApiError::unprocessable("invalid_username", message),
            SignInError::Password(_) => ApiError::unprocessable("invalid_password", message),
            SignInError::UsernameTaken(_) => ApiError::conflict("conflict", message),
            SignInError::Refused(refusal) => refusal.into(),
            SignInError::LoginRateLimited(wait) => {
                ApiError::too_many_requests("login_rate_limited", message, wait)
            }
            SignInError::BadCredentials => {
                ApiError::new(StatusCode::UNAUTHORIZED, "bad_credentials", message)
            }
            SignInError::Internal(detail) => ApiError::internal(detail),
            SignInError::Store(error) => error.into(),
        }
    }
}

/// Creates a `human` account (when registration is open).
#[utoipa::path(post, path = "/auth/register", tag = "auth", request_body = Credentials,
    responses(
        (status = 201, description = "Created", body = AccountCreated),
        (status = 403, description = "Registration is closed (`registration_closed`)", body = ErrorBody),
        (status = 409, description = "Username taken (`conflict`)", body = ErrorBody),
        (status = 422, description = "Invalid username or password (`invalid_username`, `invalid_password`), or a username refused by the compliance guard (`compliance_blocked`)", body = ErrorBody),
        (status = 429, description = "Too many registrations from this address (`register_rate_limited`, with `Retry-After`)", body = ErrorBody)))]
pub async fn register(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiJson(request): ApiJson<Credentials>,
) -> Result<(StatusCode, Json<AccountCreated>), ApiError> {
    let record = state.sign_in_desk().register(&meta, request).await?;
    let created = AccountCreated {
        account_id: record.id.0,
        username: record.username,
        role: Role::Human,
    };
    Ok((StatusCode::CREATED, Json(created)))
}

/// Signs in with a username and password. Attempts are rate limited per account and per
/// client address.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = Credentials,
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 401, description = "Wrong username or password (`bad_credentials`)", body = ErrorBody),
        (status = 409, description = "The account changed while signing in (`account_changed`): sign in again", body = ErrorBody),
        (status = 429, description = "Too many attempts for the username or from the address (`login_rate_limited`, with `Retry-After`)", body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiJson(request): ApiJson<Credentials>,
) -> Result<Json<TokenResponse>, ApiError> {
    let desk = state.sign_in_desk();
    let (account, role) = desk.check_login(&meta, &request).await?;
    let audit = meta.audit(
        Some((account.id.0, role)),
        "auth.login",
        format!("account:{}", account.id),
        "ok",
        String::new(),
    );
    let tokens = start_session(&state, account.id.0, role, &account.username, &audit).await?;
    desk.count_login("ok");
    Ok(Json(tokens))
}

/// Opens a session and issues its first pair of tokens.
async fn start_session(
    state: &AppState,
    account: u64,
    role: Role,
    username: &str,
    audit: &crate::store::AuditEntry,
) -> Result<TokenResponse, ApiError> {
    let now = now_ms();
    let refresh = secret_token::generate(secret_token::REFRESH_TOKEN_PREFIX);
    let ttl_s = state.settings.auth.refresh_token_ttl_s;
    let expires = now.saturating_add(i64::try_from(ttl_s.saturating_mul(1000)).unwrap_or(i64::MAX));
    let sid = state
        .store
        .insert_session(
            account,
            role.as_str(),
            &secret_token::hash(&refresh),
            expires,
            audit,
            now,
        )
        .await?
        .ok_or_else(|| {
            ApiError::conflict(
                "account_changed",
                "the account changed while signing in (a new role, or revoked); sign in again",
            )
        })?;
    let session = Session {
        account,
        role,
        username,
        sid,
        expires_at_ms: expires,
    };
    token_pair(state, &session, refresh)
}

/// A live session, as tokens are issued for it.
struct Session<'a> {
    account: u64,
    role: Role,
    username: &'a str,
    sid: u64,
    expires_at_ms: i64,
}

fn token_pair(
    state: &AppState,
    session: &Session<'_>,
    refresh_token: String,
) -> Result<TokenResponse, ApiError> {
    let now = now_ms();
    let now_s = u64::try_from(now / 1000).unwrap_or(0);
    let Session {
        account,
        role,
        username,
        sid,
        expires_at_ms,
    } = *session;
    let claims = state.jwt.claims(account, role, username, sid, now_s);
    let access_token = state.jwt.issue(&claims).map_err(ApiError::internal)?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer".into(),
        expires_in: state.jwt.access_ttl_s,
        refresh_token,
        // What is left of the session: a refresh does not extend it.
        refresh_expires_in: u64::try_from((expires_at_ms - now) / 1000).unwrap_or(0),
    })
}

/// Trades a refresh token for a new access token and a new refresh token (the old one stops
/// working).
#[utoipa::path(post, path = "/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses(
        (status = 200, description = "New tokens", body = TokenResponse),
        (status = 401, description = "Unknown, used, expired or ended (`bad_refresh_token`)", body = ErrorBody)))]
pub async fn refresh(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<RefreshRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    let refused = || {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "bad_refresh_token",
            "this refresh token is unknown, used, expired or its session ended; log in again",
        )
    };
    let new_refresh = secret_token::generate(secret_token::REFRESH_TOKEN_PREFIX);
    let (sid, account_id, expires_at_ms) = state
        .store
        .rotate_session(
            &secret_token::hash(request.refresh_token.trim()),
            &secret_token::hash(&new_refresh),
            now_ms(),
        )
        .await?
        .ok_or_else(refused)?;
    let account = state
        .store
        .find_account(account_id)
        .await?
        .filter(|a| a.revoked_at_ms.is_none())
        .ok_or_else(refused)?;
    let role: Role = account.role.parse().map_err(ApiError::internal)?;
    let session = Session {
        account: account.id.0,
        role,
        username: &account.username,
        sid,
        expires_at_ms,
    };
    Ok(Json(token_pair(&state, &session, new_refresh)?))
}

/// Ends the caller's session: its access and refresh tokens stop working at once.
#[utoipa::path(post, path = "/auth/logout", tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Signed out"),
        (status = 422, description = "Agent tokens have no session; an admin revokes them (`no_session`)", body = ErrorBody)))]
pub async fn logout(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<StatusCode, ApiError> {
    let sid = principal.session_id.ok_or_else(|| {
        ApiError::unprocessable(
            "no_session",
            "an agent token has no session to end; an admin revokes it",
        )
    })?;
    let now = now_ms();
    // The session is live (the token was checked against the revocation lists just now), so
    // the entry says ok; a race with another logout of the same session is harmless.
    let audit = principal.audit("auth.logout", format!("session:{sid}"), "ok", String::new());
    let account = principal.account_id;
    credential_change(&state, move |state| async move {
        state
            .store
            .revoke_session(sid, account.0, &audit, now)
            .await?;
        state.credentials.revoke_sessions(&[sid], now);
        Ok(())
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
