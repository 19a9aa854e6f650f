//! The request extractors that say who is calling: [`Principal`] (signed in, or 401) and
//! [`Viewer`] (anonymous allowed where the settings allow anonymous reads). A bearer that is
//! present but bad is always 401, never downgraded to anonymous. Through the agent door only
//! agent tokens are let in, and a container token only there (`super::channel`); an agent
//! held by the kill switch is refused on every route (423). Writes (any method but GET and
//! HEAD) also take one unit of the caller's write rate limit here.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, header};
use shared::AgentId;
use shared::runtime::Hold;
use tower_http::request_id::RequestId;

use super::channel::{Channel, TokenKind};
use super::jwt::TokenError;
use super::{Role, secret_token};
use crate::http::error::ApiError;
use crate::state::AppState;
use crate::store::AuditEntry;

/// Where a request came from and its id, for the audit log and rate limits.
#[derive(Debug, Clone)]
pub struct RequestMeta {
    pub request_id: String,
    pub ip: IpAddr,
}

impl RequestMeta {
    fn from_parts(parts: &Parts) -> RequestMeta {
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

    /// An audit entry for this request, by `actor` (an account and its role), or by an
    /// anonymous caller when `None`.
    pub fn audit(
        &self,
        actor: Option<(u64, Role)>,
        action: &str,
        target: String,
        outcome: &'static str,
        detail: String,
    ) -> AuditEntry {
        AuditEntry {
            actor_account_id: actor.map(|(account, _)| account),
            actor_role: actor.map_or("anonymous", |(_, role)| role.as_str()).into(),
            action: action.into(),
            target,
            outcome,
            request_id: self.request_id.clone(),
            detail,
        }
    }
}

impl FromRequestParts<AppState> for RequestMeta {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        Ok(RequestMeta::from_parts(parts))
    }
}

/// A signed-in caller.
#[derive(Debug, Clone)]
pub struct Principal {
    pub account_id: u64,
    pub role: Role,
    /// The username (`agent-<id>` for agents).
    pub name: String,
    /// Set for agent callers: the one agent they act as.
    pub agent_id: Option<AgentId>,
    /// The login session of a JWT caller (agents have none).
    pub session_id: Option<u64>,
    /// When a JWT caller's token expires (seconds since the epoch); agent tokens do not.
    pub expires_at_s: Option<u64>,
    /// The hash of an agent caller's token, to tell later whether it is still live.
    pub agent_token_hash: Option<String>,
    pub meta: RequestMeta,
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

impl Principal {
    /// 403 unless the caller holds one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.role) {
            return Ok(());
        }
        let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        Err(ApiError::forbidden(
            "forbidden_role",
            format!(
                "this needs the role {}; you are {}",
                names.join(" or "),
                self.role
            ),
        ))
    }

    /// 403 unless the caller may act as `agent`: that agent itself, or an admin.
    pub fn require_agent(&self, agent: AgentId) -> Result<(), ApiError> {
        match (self.role, self.agent_id) {
            (Role::Admin, _) => Ok(()),
            (Role::Agent, Some(own)) if own == agent => Ok(()),
            (Role::Agent, _) => Err(ApiError::forbidden(
                "not_your_agent",
                format!(
                    "your token acts only as agent {}, not {agent}",
                    self.agent_id.map_or(0, |a| a.0)
                ),
            )),
            _ => Err(ApiError::forbidden(
                "not_your_agent",
                "only the agent itself (or an admin) may do this",
            )),
        }
    }

    /// Whether the token this caller signed in with still works now (it may have been revoked,
    /// replaced or have expired since): long-lived streams ask before each delivery.
    pub fn still_valid(&self, state: &AppState) -> bool {
        if let Some(hash) = &self.agent_token_hash {
            return state.credentials.has_agent_token(hash)
                && self
                    .agent_id
                    .is_none_or(|agent| state.credentials.hold_of(agent).is_none());
        }
        let expired = self
            .expires_at_s
            .is_some_and(|exp| exp < jsonwebtoken::get_current_timestamp());
        !expired
            && !state.credentials.is_account_revoked(self.account_id)
            && !self
                .session_id
                .is_some_and(|sid| state.credentials.is_session_revoked(sid))
    }

    /// An audit entry for something this caller did.
    pub fn audit(
        &self,
        action: &str,
        target: String,
        outcome: &'static str,
        detail: String,
    ) -> AuditEntry {
        self.meta.audit(
            Some((self.account_id, self.role)),
            action,
            target,
            outcome,
            detail,
        )
    }

    /// Resolves a bearer token that came through `channel`: an agent token from the
    /// credential lists (refused while its agent is held by the kill switch), else a JWT.
    /// Through the agent door only agents are let in (`auth::channel`).
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
            let credential = state.credentials.agent_by_hash(&hash).ok_or_else(|| {
                unauthorized("bad_token", "this agent token is unknown or revoked")
            })?;
            if let Some(hold) = state.credentials.hold_of(credential.agent_id) {
                return Err(held(credential.agent_id, hold));
            }
            return Ok(Principal {
                account_id: credential.account_id,
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
            account_id,
            role: claims.role,
            name: claims.name.clone(),
            agent_id: None,
            session_id: Some(claims.sid),
            expires_at_s: Some(claims.exp),
            agent_token_hash: None,
            meta,
        })
    }
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
        let meta = RequestMeta::from_parts(parts);
        let token = bearer(parts).ok_or_else(|| {
            unauthorized(
                "missing_token",
                "sign in: `Authorization: Bearer <token>` (see POST /auth/login)",
            )
        })??;
        let principal = Principal::authenticate(state, token, channel_of(parts), meta)?;
        check_request_limit(state, &principal)?;
        if parts.method != Method::GET && parts.method != Method::HEAD {
            state
                .rate_limits
                .check_write(principal.account_id)
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
            .check_account_request(principal.account_id)
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

/// A caller who may be anonymous (reads). Anonymous callers are refused with 401 when the
/// settings turn anonymous reads off.
#[derive(Debug, Clone)]
pub struct Viewer(pub Option<Principal>);

impl Viewer {
    pub fn is_staff(&self) -> bool {
        self.0.as_ref().is_some_and(|p| p.role.is_staff())
    }

    /// Who reads the board, for what is hidden or held.
    pub fn reader(&self) -> crate::store::Reader {
        crate::store::Reader {
            staff: self.is_staff(),
            account_id: self.0.as_ref().map(|p| p.account_id),
        }
    }
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
                let meta = RequestMeta::from_parts(parts);
                let principal = Principal::authenticate(state, token?, channel, meta)?;
                check_request_limit(state, &principal)?;
                Ok(Viewer(Some(principal)))
            }
            None if channel == Channel::AgentDoor => Err(unauthorized(
                "missing_token",
                "the agent API socket takes only agent tokens: `Authorization: Bearer <token>`",
            )),
            None if state.settings.auth.anonymous_reads => {
                let meta = RequestMeta::from_parts(parts);
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
