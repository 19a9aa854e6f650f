//! An admin's work on agents' accounts: creating an agent (its account, its token shown once,
//! its place in the world), giving it a fresh token, and revoking its token. Every refusal is
//! an [`AgentAdminError`], which the API and the town hall turn into their answers; nothing
//! here knows a transport.
//!
//! Each change comes in two steps: an `order_*` function decides whether the caller may ask
//! for it (role, fields, the compliance guard, the agent's state) and prepares it; the
//! matching commit (`create_agent`, `issue_token`, `revoke`) writes the store and the
//! credential cache together. The transports run the commit under the credential lock on a
//! task of its own (`http::credential_change`), which a domain module cannot hold, so that a
//! cancelled request never leaves memory disagreeing with the database.

use std::sync::Arc;

use shared::api::AgentToken;
use shared::runtime::{AgentBrain, Hold};
use shared::{AgentId, AgentView};

use super::credentials::{AgentCredential, Credentials};
use super::principal::AccessError;
use super::{Principal, Role, secret_token};
use crate::board::rules::{self, BoardError};
use crate::board::screen::{ComplianceRefusal, Screener, screen_shown};
use crate::clock::now_ms;
use crate::economy::TierBook;
use crate::fields::FieldError;
use crate::runtime_changes::RuntimeChanges;
use crate::store::{AuditEntry, NewAgent, Store, StoreError};
use crate::world::{
    TileMap, WorldError, WorldHandle, WorldUnavailable, checked_name, checked_text,
};

/// Longest display name, in characters.
pub const DISPLAY_NAME_CHARS_MAX: usize = 64;
/// Longest persona, in characters.
pub const PERSONA_CHARS_MAX: usize = 2000;

/// Why an admin's change to an agent's account was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum AgentAdminError {
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error(transparent)]
    Field(#[from] FieldError),
    #[error("{home:?} is not a home landmark; homes: {}", .homes.join(", "))]
    UnknownHome { home: String, homes: Vec<String> },
    #[error(transparent)]
    Refused(#[from] ComplianceRefusal),
    #[error("agent {0} is quarantined: no token is issued until an admin resumes it")]
    Quarantined(AgentId),
    #[error("agent {0} has no account")]
    NoAccount(u64),
    #[error(transparent)]
    Board(#[from] BoardError),
    /// The world refused to place the new agent.
    #[error(transparent)]
    World(#[from] WorldError),
    #[error(transparent)]
    Unavailable(#[from] WorldUnavailable),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What an admin's work on agents uses: the store, the world and its map (homes), the
/// credential cache, the tier book (a new agent's tier), the compliance guard, and the
/// runtime's wake-up (a brain switch, `auth::agent_brain`).
/// `AppState::agent_desk`.
pub struct AgentDesk<'a> {
    pub store: &'a Store,
    pub world: &'a WorldHandle,
    pub map: &'a TileMap,
    pub credentials: &'a Credentials,
    /// Shared, because the world task reads it when it places the agent.
    pub tier_book: &'a Arc<TierBook>,
    pub screener: Screener<'a>,
    /// Woken when a brain switch needs the agent's container replaced.
    pub runtime_changes: &'a RuntimeChanges,
}

/// A new agent as an admin describes it.
#[derive(Debug, Clone)]
pub struct AgentDraft {
    pub display_name: String,
    /// Empty or absent means none.
    pub persona: Option<String>,
    /// A landmark key of kind `home`; the agent appears there.
    pub home: Option<String>,
    /// `scripted` when unset.
    pub brain: Option<AgentBrain>,
}

/// A checked and screened new agent with its token, for [`AgentDesk::create_agent`].
#[derive(Debug)]
pub struct AgentOrder {
    new: NewAgent,
    token: String,
    audit: AuditEntry,
}

/// The agent just created, and its token: shown only now, the store keeps its hash.
#[derive(Debug)]
pub struct CreatedAgent {
    pub agent: AgentView,
    pub token: String,
}

/// A fresh token for an agent, for [`AgentDesk::issue_token`].
#[derive(Debug)]
pub struct TokenOrder {
    agent: AgentId,
    token: String,
    audit: AuditEntry,
}

impl TokenOrder {
    /// A token with `prefix` (which says through which door it works; see `auth::channel`)
    /// for `agent`, audited as `action` by `principal`. Whoever calls this has checked that
    /// `principal` may ask for it.
    pub fn new(principal: &Principal, agent: AgentId, action: &str, prefix: &str) -> TokenOrder {
        let audit = principal.audit(action, format!("agent:{agent}"), "ok", String::new());
        TokenOrder {
            agent,
            token: secret_token::generate(prefix),
            audit,
        }
    }
}

/// An agent's token to revoke, for [`AgentDesk::revoke`].
#[derive(Debug)]
pub struct RevokeOrder {
    agent: AgentId,
    account_id: u64,
    audit: AuditEntry,
}

impl AgentDesk<'_> {
    /// Checks admin `principal`'s new agent (fields, home, the guard) and prepares its token.
    pub async fn order_agent(
        &self,
        principal: &Principal,
        draft: AgentDraft,
    ) -> Result<AgentOrder, AgentAdminError> {
        principal.require(&[Role::Admin])?;
        let new = self.checked_new_agent(draft)?;
        // Both are shown to everyone at once: no moderator could hold them back.
        let refusal = principal.audit("admin.agent_create", String::new(), "denied", String::new());
        let shown = [
            ("display_name", new.display_name.as_str()),
            ("persona", new.persona.as_str()),
        ];
        screen_shown(self.screener, &shown, refusal).await?;
        let audit = principal.audit(
            "admin.agent_create",
            String::new(),
            "ok",
            format!("display name {:?}; token issued", new.display_name),
        );
        let token = secret_token::generate(secret_token::AGENT_TOKEN_PREFIX);
        Ok(AgentOrder { new, token, audit })
    }

    fn checked_new_agent(&self, draft: AgentDraft) -> Result<NewAgent, AgentAdminError> {
        let invalid_field = |e: WorldError| FieldError(e.to_string());
        let display_name =
            checked_name("display_name", &draft.display_name, DISPLAY_NAME_CHARS_MAX)
                .map_err(invalid_field)?;
        // A persona is optional: empty means none.
        let persona = match draft.persona.as_deref().map(str::trim) {
            None | Some("") => String::new(),
            Some(persona) => {
                checked_text("persona", persona, PERSONA_CHARS_MAX).map_err(invalid_field)?
            }
        };
        if let Some(home) = &draft.home {
            let is_home = self.map.landmark(home).is_some_and(|l| l.kind == "home");
            if !is_home {
                let homes = self.map.landmarks().iter().filter(|l| l.kind == "home");
                return Err(AgentAdminError::UnknownHome {
                    home: home.clone(),
                    homes: homes.map(|l| l.key.clone()).collect(),
                });
            }
        }
        Ok(NewAgent {
            display_name,
            persona,
            home: draft.home,
            profile: serde_json::json!({}),
            brain: draft.brain.unwrap_or(AgentBrain::Llm),
        })
    }

    /// Writes the agent and its account and makes its token live, then places it in the
    /// world; undoes all three when the world refused it or never got the command, so a
    /// failure changes nothing. Run under the credential lock.
    pub async fn create_agent(&self, order: AgentOrder) -> Result<CreatedAgent, AgentAdminError> {
        let AgentOrder { new, token, audit } = order;
        let token_hash = secret_token::hash(&token);
        let (record, account_id) = self
            .store
            .insert_agent_with_account(&new, &token_hash, &audit, now_ms())
            .await?;
        let id = record.view.id;
        let credential = AgentCredential {
            account_id,
            agent_id: id,
        };
        self.credentials.set_agent_token(token_hash, credential);
        // The tier is read inside the world task, so a tier change committed before the spawn
        // is in the view and one committed after it arrives as its `TierChanged` event.
        let book = self.tier_book.clone();
        let spawned = self
            .world
            .call(move |world, now_ms| {
                let mut record = record;
                record.view.tier = book.tier_name(id, now_ms);
                world.spawn(record)
            })
            .await;
        let why = match spawned {
            Ok(Ok(agent)) => return Ok(CreatedAgent { agent, token }),
            Ok(Err(refused)) => AgentAdminError::World(refused),
            Err(WorldUnavailable::Busy) => AgentAdminError::Unavailable(WorldUnavailable::Busy),
            // Queued (it will be placed) or the server is stopping (it is placed at the next
            // start): the agent exists, but it is not placed yet.
            Err(unavailable) => return Err(unavailable.into()),
        };
        let undo_audit = AuditEntry {
            action: "admin.agent_create_undone".into(),
            target: format!("agent:{id}"),
            outcome: "failed",
            detail: why.to_string(),
            ..audit
        };
        self.credentials.revoke_account(account_id);
        let undone = self
            .store
            .delete_agent_with_account(id, &undo_audit, now_ms());
        if let Err(error) = undone.await {
            tracing::error!(%error, %id, "could not undo an agent the world refused");
        }
        Err(why)
    }

    /// Checks that admin `principal` may give `agent` a new token: it exists and is not
    /// quarantined (a quarantine keeps its token from anyone until an admin resumes it).
    pub async fn order_token(
        &self,
        principal: &Principal,
        agent: AgentId,
    ) -> Result<TokenOrder, AgentAdminError> {
        principal.require(&[Role::Admin])?;
        rules::agent_exists(self.world, agent).await?;
        if self.credentials.hold_of(agent) == Some(Hold::Quarantine) {
            return Err(AgentAdminError::Quarantined(agent));
        }
        let prefix = secret_token::AGENT_TOKEN_PREFIX;
        Ok(TokenOrder::new(
            principal,
            agent,
            "admin.agent_token_issue",
            prefix,
        ))
    }

    /// Gives the agent its new token in the store and the credential cache together (the
    /// previous one stops working; a revoked agent is live again). Run under the credential
    /// lock.
    pub async fn issue_token(&self, order: TokenOrder) -> Result<AgentToken, AgentAdminError> {
        let TokenOrder {
            agent,
            token,
            audit,
        } = order;
        let token_hash = secret_token::hash(&token);
        let account_id = self
            .store
            .issue_agent_token(agent.0, &token_hash, &audit, now_ms())
            .await?;
        let credential = AgentCredential {
            account_id,
            agent_id: agent,
        };
        self.credentials.set_agent_token(token_hash, credential);
        Ok(AgentToken {
            agent_id: agent,
            token,
        })
    }

    /// Checks that admin `principal` may revoke agent `id`'s token: the agent has an account.
    pub async fn order_revoke(
        &self,
        principal: &Principal,
        id: u64,
    ) -> Result<RevokeOrder, AgentAdminError> {
        principal.require(&[Role::Admin])?;
        let account = self.store.find_agent_account(id).await?;
        let account = account.ok_or(AgentAdminError::NoAccount(id))?;
        let audit = principal.audit(
            "admin.agent_token_revoke",
            format!("agent:{id}"),
            "ok",
            String::new(),
        );
        Ok(RevokeOrder {
            agent: AgentId(id),
            account_id: account.id.0,
            audit,
        })
    }

    /// Revokes the agent's token in the store and the credential cache together: it stops
    /// working at once; the agent stays in the world. Run under the credential lock.
    pub async fn revoke(&self, order: RevokeOrder) -> Result<AgentId, AgentAdminError> {
        let RevokeOrder {
            agent,
            account_id,
            audit,
        } = order;
        self.store
            .revoke_account(account_id, &audit, now_ms())
            .await?;
        self.credentials.revoke_account(account_id);
        Ok(agent)
    }
}
