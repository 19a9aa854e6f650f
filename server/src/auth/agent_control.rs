//! The kill switch carried out: an admin's order (pause, resume, stop, kill, quarantine,
//! freeze, unfreeze, each with a reason) or a rule's (the disk limit pauses an agent) applied
//! to the world, the store and the credential cache, and an agent's kill-switch state as an
//! admin reads it. `crate::kill_switch` decides which state an action leads to; this applies
//! it. Every refusal is a [`ControlError`]; nothing here knows a transport.
//!
//! A change is applied to the world (the agent stops and is refused every action), then stored
//! with its audit entry in one transaction (undone in the world if the store fails), then made
//! live in memory: every hold keeps the agent's token from acting, a quarantine's token stops
//! working, a freeze drops the tier. [`ControlDesk::apply`] must run under the credential lock
//! on a task of its own (`http::credential_change`), which a domain module cannot hold.

use serde::Serialize;
use shared::runtime::{ContainerWant, Hold};
use shared::{AgentId, AgentStatus};
use utoipa::ToSchema;

use super::credentials::Credentials;
use super::principal::AccessError;
use super::{Principal, Role, secret_token};
use crate::board::rules::{self, BoardError};
use crate::clock::now_ms;
use crate::economy::TierBook;
use crate::fields::{self, FieldError};
use crate::kill_switch::{ControlAction, REASON_CHARS_MAX, Refusal, next_control};
use crate::runtime_reports::{ReceivedReport, RuntimeReports};
use crate::store::{AgentControl, AuditEntry, Store, StoreError};
use crate::world::{WorldError, WorldHandle, WorldUnavailable};

/// Why a kill-switch order was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error(transparent)]
    Field(#[from] FieldError),
    #[error(transparent)]
    Board(#[from] BoardError),
    /// Only `resume` releases a quarantine.
    #[error("agent {0} is quarantined; only resume releases it")]
    Quarantined(AgentId),
    /// An admin's order came back unapplied: a bug, since only a rule's order may be skipped.
    #[error("an admin's order was not applied")]
    NotApplied,
    #[error(transparent)]
    World(#[from] WorldError),
    #[error(transparent)]
    Unavailable(#[from] WorldUnavailable),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the kill switch uses: the store, the world, the credential cache (holds, tokens), the
/// tier book (freezes) and the runtime's reports (for the view). `AppState::control_desk`.
pub struct ControlDesk<'a> {
    pub store: &'a Store,
    pub world: &'a WorldHandle,
    pub credentials: &'a Credentials,
    pub tier_book: &'a TierBook,
    pub runtime_reports: &'a RuntimeReports,
}

/// One change to an agent's kill-switch state and who asked for it.
#[derive(Debug)]
pub struct ControlOrder {
    pub agent: AgentId,
    pub action: ControlAction,
    /// Checked already: 1 to [`REASON_CHARS_MAX`] characters.
    pub reason: String,
    /// The admin's account; `None` when the village's own rules decided (the disk limit).
    pub by: Option<u64>,
    pub audit: AuditEntry,
    /// Leave an agent that is already held as it is (`Ok(None)`): a rule must not soften or
    /// replace what an admin chose.
    pub unless_held: bool,
}

/// An agent's kill-switch state.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentControlView {
    pub agent_id: AgentId,
    /// The hold in force, if any.
    pub hold: Option<Hold>,
    /// Whether its compute is frozen at the first tier.
    pub frozen: bool,
    /// Its status in the world.
    pub status: AgentStatus,
    /// The tier in force.
    pub tier: String,
    /// The state the runtime brings its container to.
    pub container: ContainerWant,
    /// Why the last change was made.
    pub reason: String,
    /// Who made it (an account id), if anyone has.
    pub updated_by: Option<u64>,
    pub updated_at_ms: i64,
    /// What the agent runtime last reported of its container (node, state, restarts, OOM
    /// kills, memory, CPU), if it reported since the server started.
    pub container_report: Option<ReceivedReport>,
}

/// The control an admin's order left (`apply` answers `None` only for a rule's order), logged.
pub fn admin_order_applied(
    agent: AgentId,
    action: ControlAction,
    applied: Option<AgentControl>,
) -> Result<AgentControl, ControlError> {
    let control = applied.ok_or(ControlError::NotApplied)?;
    tracing::info!(%agent, action = action.as_str(), "kill switch");
    Ok(control)
}

impl ControlDesk<'_> {
    /// Checks admin `principal`'s order: the reason and that the agent exists.
    pub async fn order_control(
        &self,
        principal: &Principal,
        agent: AgentId,
        action: ControlAction,
        reason: &str,
    ) -> Result<ControlOrder, ControlError> {
        principal.require(&[Role::Admin])?;
        let reason = fields::line("reason", reason, REASON_CHARS_MAX)?;
        rules::agent_exists(self.world, agent).await?;
        let audit = principal.audit(
            &format!("admin.agent_{}", action.as_str()),
            format!("agent:{agent}"),
            "ok",
            reason.clone(),
        );
        Ok(ControlOrder {
            agent,
            action,
            reason,
            by: Some(principal.account_id.0),
            audit,
            unless_held: false,
        })
    }

    /// Applies `order`: to the world, then to the store with its audit entry in one
    /// transaction (undone in the world if the store fails), then to memory (the hold on the
    /// token, a quarantine's token change, a freeze). `None` when the order was to leave a held
    /// agent alone and it was held. Run under the credential lock: two orders for one agent
    /// cannot interleave, and a quarantine's token change cannot race a token being issued.
    pub async fn apply(&self, order: ControlOrder) -> Result<Option<AgentControl>, ControlError> {
        let ControlOrder {
            agent,
            action,
            reason,
            by,
            audit,
            unless_held,
        } = order;
        let current = self.store.find_agent_control(agent).await?;
        if unless_held && current.hold.is_some() {
            return Ok(None);
        }
        let next = next_control(&current, action).map_err(|refusal| match refusal {
            Refusal::Quarantined => ControlError::Quarantined(agent),
        })?;
        let wanted = next.hold.map_or(AgentStatus::Idle, Hold::status);
        let before = self
            .world
            .call(move |world, _| world.set_held_status(agent, wanted))
            .await??;
        // A release keeps an acting agent's own status; a hold stores the hold's.
        let stored = if wanted.may_act() && before.may_act() {
            before
        } else {
            wanted
        };
        let control = AgentControl {
            agent,
            hold: next.hold,
            frozen: next.frozen,
            reason,
            updated_by: by,
            updated_at_ms: now_ms(),
        };
        // A quarantine gives the account a token nobody holds: the one in the container stops
        // working, and the runtime asks for a fresh one after a resume.
        let unknown_token = next
            .replace_token
            .then(|| secret_token::hash(&secret_token::generate(secret_token::AGENT_TOKEN_PREFIX)));
        let saved = self
            .store
            .save_agent_control(&control, stored, unknown_token.as_deref(), &audit)
            .await;
        if let Err(error) = saved {
            let undone = self
                .world
                .call(move |world, _| world.set_held_status(agent, before))
                .await;
            if !matches!(undone, Ok(Ok(_))) {
                tracing::error!(%agent, "a kill-switch change was not stored and not undone in the world");
            }
            return Err(error.into());
        }
        if next.replace_token {
            self.credentials.drop_agent_token(agent);
        }
        self.credentials.set_hold(agent, next.hold);
        self.tier_book.set_frozen(agent, next.frozen);
        Ok(Some(control))
    }

    /// Agent `agent`'s kill-switch state, for admin `principal`.
    pub async fn control_of(
        &self,
        principal: &Principal,
        agent: AgentId,
    ) -> Result<AgentControlView, ControlError> {
        principal.require(&[Role::Admin])?;
        rules::agent_exists(self.world, agent).await?;
        let control = self.store.find_agent_control(agent).await?;
        self.view(control).await
    }

    /// `control` with the agent's status, tier, container state and latest report.
    pub async fn view(&self, control: AgentControl) -> Result<AgentControlView, ControlError> {
        let agent = control.agent;
        let status = self
            .world
            .call(move |world, _| world.agent(agent).map(|a| a.status))
            .await??;
        let revoked = self
            .store
            .find_agent_account(agent.0)
            .await?
            .is_some_and(|account| account.revoked_at_ms.is_some());
        Ok(AgentControlView {
            agent_id: agent,
            hold: control.hold,
            frozen: control.frozen,
            status,
            tier: self.tier_book.tier_name(agent, now_ms()),
            container: ContainerWant::of(control.hold, revoked),
            reason: control.reason,
            updated_by: control.updated_by,
            updated_at_ms: control.updated_at_ms,
            container_report: self.runtime_reports.get(agent),
        })
    }
}
