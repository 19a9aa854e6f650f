//! Registering and signing in with a username and password: the registration switch and its
//! per-address limit, the naming rule, the compliance guard on the name shown on everything
//! its owner writes, the password rule and hash; for a sign-in, the per-address and
//! per-account limits, a check that takes as long for an unknown name as for a wrong password,
//! and the refusal counted and audited. The API's handlers and the town hall's forms call
//! these; opening the session (tokens, cookies) stays with each transport.

use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use shared::api::Credentials;

use super::password::{self, check_password_rules};
use super::principal::RequestMeta;
use super::rate_limits::RateLimits;
use super::role::Role;
use super::settings::AuthSettings;
use super::username_rule::{UsernameError, checked_username};
use crate::board::screen::{ComplianceRefusal, Screener, screen_shown};
use crate::clock::now_ms;
use crate::metrics::OutcomeLabels;
use crate::store::{AccountRecord, NewAccount, Store, StoreError, username_key};

/// Why a registration or a sign-in was refused.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("registration is closed; ask an admin for an account")]
    RegistrationClosed,
    #[error("too many registrations from this address; wait before trying again")]
    RegisterRateLimited(Duration),
    #[error(transparent)]
    Username(#[from] UsernameError),
    #[error("{0}")]
    Password(String),
    #[error("the username {0:?} is taken")]
    UsernameTaken(String),
    #[error(transparent)]
    Refused(#[from] ComplianceRefusal),
    #[error("too many sign-in attempts; wait before trying again")]
    LoginRateLimited(Duration),
    #[error("wrong username or password")]
    BadCredentials,
    /// A fault of the server's own (a hash that could not be made, a role it cannot read).
    #[error("{0}")]
    Internal(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What registering and signing in use (`AppState::sign_in_desk`).
pub struct SignInDesk<'a> {
    pub settings: &'a AuthSettings,
    pub store: &'a Store,
    pub rate_limits: &'a RateLimits,
    pub screener: Screener<'a>,
    /// `village_auth_logins_total` by outcome.
    pub logins: &'a Family<OutcomeLabels, Counter>,
    /// Checked when a sign-in names no account, so a miss takes as long as a wrong password.
    pub dummy_password_hash: &'a str,
}

impl SignInDesk<'_> {
    /// Creates a `human` account for `request` (when registration is open).
    pub async fn register(
        &self,
        meta: &RequestMeta,
        request: Credentials,
    ) -> Result<AccountRecord, SignInError> {
        if !self.settings.open_registration {
            return Err(SignInError::RegistrationClosed);
        }
        let limits = self.rate_limits;
        limits
            .check_register(meta.ip)
            .map_err(SignInError::RegisterRateLimited)?;
        let username = checked_username(&request.username)?;
        // The username is the name shown on everything its owner writes: no moderator holds it.
        let refusal = meta.audit(
            None,
            "account.register",
            String::new(),
            "denied",
            String::new(),
        );
        screen_shown(self.screener, &[("username", &username)], refusal).await?;
        // A taken name is refused before the expensive hash.
        if self
            .store
            .find_account_by_username(&username)
            .await?
            .is_some()
        {
            return Err(SignInError::UsernameTaken(username));
        }
        let password_hash = {
            let _permit = limits.password_permit().await;
            checked_password_hash(request.password).await?
        };
        let account = NewAccount {
            username: username.clone(),
            role: Role::Human.as_str().into(),
            password_hash: Some(password_hash),
            token_hash: None,
            agent_id: None,
        };
        let detail = format!("username {username}");
        let audit = meta.audit(None, "account.register", String::new(), "ok", detail);
        Ok(self
            .store
            .insert_account(&account, &audit, now_ms())
            .await?)
    }

    /// Counts a sign-in attempt by outcome (`ok`, `denied`, `limited`).
    pub fn count_login(&self, outcome: &str) {
        let labels = OutcomeLabels {
            outcome: outcome.into(),
        };
        self.logins.get_or_create(&labels).inc();
    }

    /// Checks a username and password, limited per account and per client address; a
    /// refusal is counted and audited. The account and its role when they match; the caller
    /// opens the session and counts it `ok`.
    pub async fn check_login(
        &self,
        meta: &RequestMeta,
        request: &Credentials,
    ) -> Result<(AccountRecord, Role), SignInError> {
        let key = username_key(request.username.trim());
        let limited = |wait| {
            self.count_login("limited");
            SignInError::LoginRateLimited(wait)
        };
        let limits = self.rate_limits;
        limits.check_login_address(meta.ip).map_err(limited)?;
        let account = self.store.find_account_by_username(&key).await?;
        let service = account
            .as_ref()
            .is_some_and(|a| a.role == Role::Runtime.as_str());
        limits
            .check_login_account(&key, meta.ip, service)
            .map_err(limited)?;
        // Unknown names and accounts without a password (agents) are checked against a dummy
        // hash, so they take as long as wrong passwords; they never pass, whatever the password.
        let stored = account.as_ref().and_then(|a| a.password_hash.clone());
        let has_password = stored.is_some();
        let hash = stored.unwrap_or_else(|| self.dummy_password_hash.to_string());
        let matches = {
            let _permit = limits.password_permit().await;
            password::verify_password(request.password.clone(), hash).await
        };
        match account {
            Some(account) if has_password && matches && account.revoked_at_ms.is_none() => {
                let role = account.role.parse::<Role>();
                let role = role.map_err(SignInError::Internal)?;
                Ok((account, role))
            }
            other => {
                self.refuse_login(meta, other).await;
                Err(SignInError::BadCredentials)
            }
        }
    }

    /// Counts and audits a refused sign-in; the refusal stands even if it cannot be recorded.
    async fn refuse_login(&self, meta: &RequestMeta, account: Option<AccountRecord>) {
        self.count_login("denied");
        let target = account
            .map(|a| format!("account:{}", a.id))
            .unwrap_or_default();
        let why = "wrong username or password".to_string();
        let audit = meta.audit(None, "auth.login", target, "denied", why);
        if let Err(error) = self.store.append_audit(&audit, now_ms()).await {
            tracing::error!(%error, "could not record a refused login");
        }
    }
}

/// Hashes a password that keeps the length rule.
pub async fn checked_password_hash(password: String) -> Result<String, SignInError> {
    check_password_rules(&password).map_err(|e| SignInError::Password(e.to_string()))?;
    password::hash_password(password)
        .await
        .map_err(|e| SignInError::Internal(e.to_string()))
}
