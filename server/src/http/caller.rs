//! Who is calling, read from a request: the extractors [`Principal`] (signed in, or 401) and
//! [`Viewer`] (anonymous allowed where the settings allow anonymous reads), and
//! [`RequestMeta`] (the request id and the client's address). A bearer that is present but bad
//! is always 401, never downgraded to anonymous. Through the agent door only agent tokens are
//! let in, and a container token only there (`auth::channel`); an agent held by the kill
//! switch is refused on every route (423). Writes (any method but GET and HEAD) also take one
//! unit of the caller's write rate limit here. The rules on callers are `auth::principal`'s.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, header};
use shared::runtime::Hold;
use shared::{AccountId, AgentId};
use tower_http::request_id::RequestId;

use super::error::ApiError;
use crate::auth::channel::{Channel, TokenKind};
use crate::auth::jwt::TokenError;
use crate::auth::principal::{Principal, RequestMeta, Viewer};
use crate::auth::{Role, secret_token};
use crate::state::AppState;

/// The request's id (from the request-id layer) and the client's address.
pub fn request_meta(parts: &Parts) -> RequestMeta {
    let request_id = parts
        .extensions
        .get::<RequestId>()
        .and_then(|id| id.header_value().to_str().ok())
        .unwrap_or("-")
        .to_string();
    let ip = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_canonical())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    RequestMeta { request_id, ip }
}

impl FromRequestParts<AppState> for RequestMeta {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        Ok(request_meta(parts))
    }
}

fn unauthorized(code: &'static str, message: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, code, message)
}

/// 423: the agent's token may not act while an admin's hold is on it.
fn held(agent: AgentId, hold: Hold) -> ApiError {
    ApiError::new(
        StatusCode::LOCKED,
        "agent_held",
        format!(
            "agent {agent} is under an admin's {} hold: its token may not act until an admin \
             resumes it",
            hold.as_str()
        ),
    )
}

/// The door the request came through (the public listener unless a router said otherwise).
fn channel_of(parts: &Parts) -> Channel {
    parts
        .extensions
        .get::<Channel>()
        .copied()
        .unwrap_or_default()
}

/// Resolves a bearer token that came through `channel`: an agent token from the credential
/// lists (refused while its agent is held by the kill switch), else a JWT. Through the agent
/// door only agents are let in (`auth::channel`).
fn authenticate(
    state: &AppState,
    token: &str,
    channel: Channel,
    meta: RequestMeta,
) -> Result<Principal, ApiError> {
    let kind = TokenKind::of(token);
    if !kind.allowed_through(channel) {
        return Err(unauthorized(
            "token_bound_to_agent_door",
            "this agent token works only through its container's API socket",
        ));
    }
    if kind == TokenKind::Jwt && channel == Channel::AgentDoor {
        return Err(ApiError::forbidden(
            "agents_only",
            "the agent API socket takes only agent tokens; people and services use the \
             public listener",
        ));
    }
    if kind != TokenKind::Jwt {
        let hash = secret_token::hash(token);
        let credential = state
            .credentials
            .agent_by_hash(&hash)
            .ok_or_else(|| unauthorized("bad_token", "this agent token is unknown or revoked"))?;
        if let Some(hold) = state.credentials.hold_of(credential.agent_id) {
            return Err(held(credential.agent_id, hold));
        }
        return Ok(Principal {
            account_id: AccountId(credential.account_id),
            role: Role::Agent,
            name: format!("agent-{}", credential.agent_id),
            agent_id: Some(credential.agent_id),
            session_id: None,
            expires_at_s: None,
            agent_token_hash: Some(hash),
            meta,
        });
    }
    let (claims, account_id) = state.jwt.verify(token).map_err(|e| match e {
        TokenError::Expired => unauthorized(
            "token_expired",
            "the access token has expired; refresh or log in again",
        ),
        TokenError::UnknownKey => unauthorized(
            "token_key_retired",
            "the access token was signed with a retired key; refresh it or log in again",
        ),
        TokenError::Invalid => unauthorized("bad_token", "the access token is not valid"),
    })?;
    if state.credentials.is_account_revoked(account_id)
        || state.credentials.is_session_revoked(claims.sid)
    {
        return Err(unauthorized(
            "token_revoked",
            "this session has ended; log in again",
        ));
    }
    Ok(Principal {
        account_id: AccountId(account_id),
        role: claims.role,
        name: claims.name.clone(),
        agent_id: None,
        session_id: Some(claims.sid),
        expires_at_s: Some(claims.exp),
        agent_token_hash: None,
        meta,
    })
}

/// The bearer token of a request: `Some(Ok)` when well-formed, `Some(Err)` when the header is
/// there but not a bearer, `None` when absent.
fn bearer(parts: &Parts) -> Option<Result<&str, ApiError>> {
    let value = parts.headers.get(header::AUTHORIZATION)?;
    Some(
        value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                unauthorized("bad_authorization", "use `Authorization: Bearer <token>`")
            }),
    )
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let meta = request_meta(parts);
        let token = bearer(parts).ok_or_else(|| {
            unauthorized(
                "missing_token",
                "sign in: `Authorization: Bearer <token>` (see POST /auth/login)",
            )
        })??;
        let principal = authenticate(state, token, channel_of(parts), meta)?;
        check_request_limit(state, &principal)?;
        if parts.method != Method::GET && parts.method != Method::HEAD {
            state
                .rate_limits
                .check_write(principal.account_id.0)
                .map_err(|wait| {
                    ApiError::too_many_requests(
                        "write_rate_limited",
                        "too many writes from this account",
                        wait,
                    )
                })?;
        }
        Ok(principal)
    }
}

/// Counts a signed-in request: an agent's against its tier's limit, a person's against the
/// per-account limit.
pub(crate) fn check_request_limit(state: &AppState, principal: &Principal) -> Result<(), ApiError> {
    let Some(agent) = principal.agent_id else {
        return state
            .rate_limits
            .check_account_request(principal.account_id.0)
            .map_err(|wait| {
                ApiError::too_many_requests(
                    "account_rate_limited",
                    "too many requests from this account",
                    wait,
                )
            });
    };
    let tier = state.tier_book.tier(agent, crate::clock::now_ms());
    state.tier_limits.check(agent, tier).map_err(|wait| {
        let spec = state.tiers.get(tier);
        ApiError::too_many_requests(
            "tier_rate_limited",
            format!(
                "agent {agent} is in tier {} ({} requests a minute, burst {}); earn aiDollar or \
                 buy a boost for more",
                spec.name, spec.entitlements.requests_per_minute, spec.entitlements.request_burst
            ),
            wait,
        )
    })
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let channel = channel_of(parts);
        match bearer(parts) {
            Some(token) => {
                let meta = request_meta(parts);
                let principal = authenticate(state, token?, channel, meta)?;
                check_request_limit(state, &principal)?;
                Ok(Viewer(Some(principal)))
            }
            None if channel == Channel::AgentDoor => Err(unauthorized(
                "missing_token",
                "the agent API socket takes only agent tokens: `Authorization: Bearer <token>`",
            )),
            None if state.settings.auth.anonymous_reads => {
                let meta = request_meta(parts);
                state.rate_limits.check_anonymous(meta.ip).map_err(|wait| {
                    ApiError::too_many_requests(
                        "anonymous_rate_limited",
                        "too many requests without a token from this address; sign in or slow down",
                        wait,
                    )
                })?;
                Ok(Viewer(None))
            }
            None => Err(unauthorized(
                "missing_token",
                "anonymous reads are turned off; sign in",
            )),
        }
    }
}
