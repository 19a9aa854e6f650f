//! An admin's work on people's accounts: creating one with a role (the `village admin create`
//! command shares [`create_password_account`]), changing an account's role, and reading the
//! audit log. Every refusal is an [`AccountAdminError`], which the API and the town hall turn
//! into their answers; nothing here knows a transport.
//!
//! A role change comes in two steps: [`AccountDesk::order_role`] decides whether the caller
//! may ask for it, [`AccountDesk::set_role`] decides whether it may happen and commits it. The
//! second ends sessions in memory too, so the transports run it under the credential lock on a
//! task of its own (`http::credential_change`), which a domain module cannot hold.

use serde::Serialize;
use shared::api::AuditQuery;
use utoipa::ToSchema;

use super::credentials::Credentials;
use super::password::{self, PasswordError, check_password_rules};
use super::principal::AccessError;
use super::username_rule::{UsernameError, checked_username};
use super::{Principal, Role};
use crate::board::screen::{ComplianceRefusal, Screener, screen_shown};
use crate::clock::now_ms;
use crate::paging::next_cursor;
use crate::store::{
    AccountRecord, AuditEntry, AuditFilter, AuditRecord, NewAccount, Store, StoreError,
};

/// Largest page of the audit log.
pub const AUDIT_PAGE_MAX: u32 = 500;
/// Entries per page of the audit log when the reader names no limit.
pub const AUDIT_PAGE_DEFAULT: u32 = 100;

/// Why an admin's change to an account, or a read of the audit log, was refused.
#[derive(Debug, thiserror::Error)]
pub enum AccountAdminError {
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error(transparent)]
    Username(#[from] UsernameError),
    #[error(transparent)]
    Password(#[from] PasswordError),
    /// An account with the role `agent` was asked for: those are made with their agent.
    #[error("agent accounts are made with their agent, not as a person's account")]
    AgentAccount,
    /// The role `agent` was given to a person's account.
    #[error("the agent role belongs to agent accounts only")]
    AgentRole,
    #[error("no account has id {0}")]
    UnknownAccount(u64),
    /// The account exists but is no person's (an agent's account has no role to change).
    #[error("no person's account has id {0}")]
    NotAPerson(u64),
    #[error("this is the last admin; make another admin first")]
    LastAdmin,
    #[error(transparent)]
    Refused(#[from] ComplianceRefusal),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What an admin's work on accounts uses: the store, the credential cache (a role change ends
/// sessions) and the compliance guard (a username is shown to everyone). `AppState::account_desk`.
pub struct AccountDesk<'a> {
    pub store: &'a Store,
    pub credentials: &'a Credentials,
    pub screener: Screener<'a>,
}

/// Creates a password account after checking that the role is not `agent`, the name and the
/// password; `audit` gets the name and role as its detail.
pub async fn create_password_account(
    store: &Store,
    username: &str,
    password: String,
    role: Role,
    audit: AuditEntry,
) -> Result<AccountRecord, AccountAdminError> {
    if role == Role::Agent {
        return Err(AccountAdminError::AgentAccount);
    }
    let username = checked_username(username)?;
    check_password_rules(&password)?;
    let password_hash = password::hash_password(password).await?;
    let account = NewAccount {
        username: username.clone(),
        role: role.as_str().into(),
        password_hash: Some(password_hash),
        token_hash: None,
        agent_id: None,
    };
    let audit = AuditEntry {
        detail: format!("username {username}, role {role}"),
        ..audit
    };
    Ok(store.insert_account(&account, &audit, now_ms()).await?)
}

/// A role change an admin asked for, checked for who asked and what; committed by
/// [`AccountDesk::set_role`].
#[derive(Debug)]
pub struct RoleOrder {
    account_id: u64,
    role: Role,
    audit: AuditEntry,
}

/// A page of the audit log, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub entries: Vec<AuditRecord>,
    /// Pass as `cursor` for the next (older) page; absent on the last page.
    pub next_cursor: Option<u64>,
}

impl AccountDesk<'_> {
    /// Creates a person's account with `role` for admin `principal`. The username is screened
    /// before anything is written: it is the name shown on everything its owner writes, so no
    /// moderator could hold it back.
    pub async fn create_account(
        &self,
        principal: &Principal,
        username: &str,
        password: String,
        role: Role,
    ) -> Result<AccountRecord, AccountAdminError> {
        principal.require(&[Role::Admin])?;
        let checked = checked_username(username)?;
        let refusal = principal.audit(
            "admin.account_create",
            String::new(),
            "denied",
            String::new(),
        );
        screen_shown(self.screener, &[("username", &checked)], refusal).await?;
        let audit = principal.audit("admin.account_create", String::new(), "ok", String::new());
        create_password_account(self.store, username, password, role, audit).await
    }

    /// Checks that `principal` may give account `account_id` the role `role`.
    pub fn order_role(
        &self,
        principal: &Principal,
        account_id: u64,
        role: Role,
    ) -> Result<RoleOrder, AccountAdminError> {
        principal.require(&[Role::Admin])?;
        if role == Role::Agent {
            return Err(AccountAdminError::AgentRole);
        }
        let audit = principal.audit(
            "admin.role_change",
            format!("account:{account_id}"),
            "ok",
            format!("new role {role}"),
        );
        Ok(RoleOrder {
            account_id,
            role,
            audit,
        })
    }

    /// Gives the account its new role and ends its sessions (their tokens carry the old role);
    /// the same role again changes nothing and ends no session. The last admin keeps the role.
    /// Run under the credential lock: the last-admin check, the commit and the revocation in
    /// memory must not interleave with another change (two admins demoting each other).
    pub async fn set_role(&self, order: RoleOrder) -> Result<(), AccountAdminError> {
        let RoleOrder {
            account_id: id,
            role,
            audit,
        } = order;
        let target = self.store.find_account(id).await?;
        let target = target.ok_or(AccountAdminError::UnknownAccount(id))?;
        if target.role == role.as_str() {
            // Nothing changes, so no session ends (an admin saving its own role stays in).
            return Ok(());
        }
        if target.role == Role::Admin.as_str()
            && role != Role::Admin
            && target.revoked_at_ms.is_none()
            && self.store.count_admins().await? <= 1
        {
            return Err(AccountAdminError::LastAdmin);
        }
        let now = now_ms();
        let ended = self
            .store
            .set_account_role(id, role.as_str(), &audit, now)
            .await?
            .ok_or(AccountAdminError::NotAPerson(id))?;
        self.credentials.revoke_sessions(&ended, now);
        Ok(())
    }

    /// A page of the audit log for admin `principal`, newest first.
    pub async fn audit_log(
        &self,
        principal: &Principal,
        search: AuditQuery,
    ) -> Result<AuditPage, AccountAdminError> {
        principal.require(&[Role::Admin])?;
        let limit = search
            .limit
            .unwrap_or(AUDIT_PAGE_DEFAULT)
            .clamp(1, AUDIT_PAGE_MAX);
        let filter = AuditFilter {
            actor_account_id: search.actor.map(|a| a.0),
            action: search.action,
            target: search.target,
            outcome: search.outcome,
            before_id: search.cursor,
            limit,
        };
        let entries = self.store.list_audit(&filter).await?;
        let next_cursor = next_cursor(&entries, limit, |e| e.id);
        Ok(AuditPage {
            entries,
            next_cursor,
        })
    }
}
