//! Who is calling, once a transport has said so (`http::caller` reads it from a request):
//! [`Principal`], a signed-in caller with its role and, for an agent, the agent it acts as;
//! [`Viewer`], a caller who may be anonymous; [`RequestMeta`], the request's id and address
//! for the audit log. The rules on them are here: which roles may do what
//! ([`Principal::require`], [`Principal::require_agent`], [`Principal::require_agent_or_staff`],
//! refused with an [`AccessError`]), and whether a caller's token still works
//! ([`Principal::still_valid`]).

use std::net::IpAddr;

use shared::{AccountId, AgentId};

use super::{Credentials, Role};
use crate::store::AuditEntry;

/// Why a caller may not do what it asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    /// Its role is not one the action needs.
    #[error("{0}")]
    ForbiddenRole(String),
    /// It acts as another agent, or is no agent and no admin.
    #[error("{0}")]
    NotYourAgent(String),
}

/// Where a request came from and its id, for the audit log and rate limits.
#[derive(Debug, Clone)]
pub struct RequestMeta {
    pub request_id: String,
    pub ip: IpAddr,
}

impl RequestMeta {
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

/// A signed-in caller.
#[derive(Debug, Clone)]
pub struct Principal {
    pub account_id: AccountId,
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

impl Principal {
    /// Whether the caller is one of a task chat's two members: its person, or its agent.
    pub fn is_chat_member(&self, human_account_id: AccountId, agent_id: AgentId) -> bool {
        match self.agent_id {
            Some(agent) => agent == agent_id,
            None => self.account_id == human_account_id,
        }
    }

    /// Refused unless the caller holds one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), AccessError> {
        if roles.contains(&self.role) {
            return Ok(());
        }
        let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        Err(AccessError::ForbiddenRole(format!(
            "this needs the role {}; you are {}",
            names.join(" or "),
            self.role
        )))
    }

    /// Refused unless the caller may act as `agent`: that agent itself, or an admin.
    pub fn require_agent(&self, agent: AgentId) -> Result<(), AccessError> {
        match (self.role, self.agent_id) {
            (Role::Admin, _) => Ok(()),
            (Role::Agent, Some(own)) if own == agent => Ok(()),
            (Role::Agent, _) => Err(AccessError::NotYourAgent(format!(
                "your token acts only as agent {}, not {agent}",
                self.agent_id.map_or(0, |a| a.0)
            ))),
            _ => Err(AccessError::NotYourAgent(
                "only the agent itself (or an admin) may do this".to_string(),
            )),
        }
    }

    /// Refused unless the caller may read `agent`'s private records (its transcript, ledger,
    /// notebook): that agent itself, or staff (moderators and admins).
    pub fn require_agent_or_staff(&self, agent: AgentId) -> Result<(), AccessError> {
        if self.role.is_staff() {
            return Ok(());
        }
        self.require_agent(agent)
    }

    /// Whether the token this caller signed in with still works now (it may have been revoked,
    /// replaced or have expired since): long-lived streams ask before each delivery.
    pub fn still_valid(&self, credentials: &Credentials) -> bool {
        if let Some(hash) = &self.agent_token_hash {
            return credentials.has_agent_token(hash)
                && self
                    .agent_id
                    .is_none_or(|agent| credentials.hold_of(agent).is_none());
        }
        let expired = self
            .expires_at_s
            .is_some_and(|exp| exp < jsonwebtoken::get_current_timestamp());
        !expired
            && !credentials.is_account_revoked(self.account_id.0)
            && !self
                .session_id
                .is_some_and(|sid| credentials.is_session_revoked(sid))
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
            Some((self.account_id.0, self.role)),
            action,
            target,
            outcome,
            detail,
        )
    }
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
            account_id: self.0.as_ref().map(|p| p.account_id.0),
        }
    }
}
