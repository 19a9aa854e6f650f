//! What every request is checked against without touching the database: the hashes of live
//! agent tokens, the kill-switch holds that keep an agent's token from acting, and the
//! sessions and accounts whose access tokens were revoked. Loaded from the store at start and
//! updated in the same handler that commits a change, after the commit.

use std::collections::{HashMap, HashSet};
use std::sync::RwLock;

use shared::AgentId;
use shared::runtime::Hold;

use crate::store::{Store, StoreError};

/// How long past the access TTL a revoked session is remembered.
const REVOKED_SESSION_MARGIN_MS: i64 = 60_000;

/// A live agent token's owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgentCredential {
    pub account_id: u64,
    pub agent_id: AgentId,
}

#[derive(Default)]
struct Lists {
    /// Token hash → owner.
    agent_tokens: HashMap<String, AgentCredential>,
    /// Session id → when it was revoked (ms); pruned once no token of it can still be live.
    revoked_sessions: HashMap<u64, i64>,
    revoked_accounts: HashSet<u64>,
    /// Agents under a kill-switch hold: their tokens are refused on every route.
    holds: HashMap<AgentId, Hold>,
}

/// The lists, behind a std lock held only for a lookup or an insert (never across `.await`).
#[derive(Default)]
pub struct Credentials {
    lists: RwLock<Lists>,
    /// Access token lifetime: a session revoked longer ago than this has no live token left.
    access_ttl_ms: i64,
}

impl Credentials {
    /// Loads live agent tokens and revocations from the store.
    pub async fn load(store: &Store, access_ttl_s: u64, now_ms: i64) -> Result<Self, StoreError> {
        let mut lists = Lists::default();
        for account in store.list_token_accounts().await? {
            if let (Some(hash), Some(agent)) = (account.token_hash.clone(), account.agent()) {
                lists.agent_tokens.insert(
                    hash,
                    AgentCredential {
                        account_id: account.id.0,
                        agent_id: AgentId(agent),
                    },
                );
            }
        }
        for session in store.list_revoked_sessions(now_ms).await? {
            lists.revoked_sessions.insert(session, now_ms);
        }
        lists.revoked_accounts = store.list_revoked_accounts().await?.into_iter().collect();
        lists.holds = store
            .list_agent_controls()
            .await?
            .into_iter()
            .filter_map(|control| Some((control.agent, control.hold?)))
            .collect();
        Ok(Credentials {
            lists: RwLock::new(lists),
            access_ttl_ms: i64::try_from(access_ttl_s.saturating_mul(1000)).unwrap_or(i64::MAX),
        })
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Lists> {
        // A panic while holding the lock leaves the lists consistent (each write is one insert
        // or remove), so a poisoned lock is still safe to use.
        self.lists.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Lists> {
        self.lists.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The owner of an agent token, by the token's hash, if it is live.
    pub fn agent_by_hash(&self, token_hash: &str) -> Option<AgentCredential> {
        self.read().agent_tokens.get(token_hash).copied()
    }

    /// Whether an agent token (by hash) is live.
    pub fn has_agent_token(&self, token_hash: &str) -> bool {
        self.read().agent_tokens.contains_key(token_hash)
    }

    /// Makes `token_hash` the one live token of the agent account in `credential`: a previous
    /// token stops working, and the account is live again if it was revoked. Used for new
    /// agents and for new tokens of existing ones alike.
    pub fn set_agent_token(&self, token_hash: String, credential: AgentCredential) {
        let mut lists = self.write();
        lists
            .agent_tokens
            .retain(|_, held| held.account_id != credential.account_id);
        lists.revoked_accounts.remove(&credential.account_id);
        lists.agent_tokens.insert(token_hash, credential);
    }

    /// Revokes an account: its agent token and every access token stop working.
    pub fn revoke_account(&self, account_id: u64) {
        let mut lists = self.write();
        lists.revoked_accounts.insert(account_id);
        lists
            .agent_tokens
            .retain(|_, credential| credential.account_id != account_id);
    }

    /// Makes an agent's token stop working without revoking its account (a quarantine): the
    /// runtime may get it a fresh one once it is released.
    pub fn drop_agent_token(&self, agent: AgentId) {
        self.write()
            .agent_tokens
            .retain(|_, credential| credential.agent_id != agent);
    }

    /// The kill-switch hold on `agent`, if any: its token may not act while there is one.
    pub fn hold_of(&self, agent: AgentId) -> Option<Hold> {
        self.read().holds.get(&agent).copied()
    }

    /// Records the hold now in force on `agent` (`None` once released), after it is stored.
    pub fn set_hold(&self, agent: AgentId, hold: Option<Hold>) {
        let mut lists = self.write();
        match hold {
            Some(hold) => lists.holds.insert(agent, hold),
            None => lists.holds.remove(&agent),
        };
    }

    /// Revokes sessions: their access tokens stop working.
    pub fn revoke_sessions(&self, sessions: &[u64], now_ms: i64) {
        let mut lists = self.write();
        // A token of a session revoked at `at` lives at most the access TTL plus the verifier's
        // leeway after it; a minute more covers clocks and a refresh racing the revocation.
        let horizon = now_ms
            .saturating_sub(self.access_ttl_ms)
            .saturating_sub(REVOKED_SESSION_MARGIN_MS);
        lists.revoked_sessions.retain(|_, at| *at >= horizon);
        for session in sessions {
            lists.revoked_sessions.insert(*session, now_ms);
        }
    }

    pub fn is_account_revoked(&self, account_id: u64) -> bool {
        self.read().revoked_accounts.contains(&account_id)
    }

    pub fn is_session_revoked(&self, session_id: u64) -> bool {
        self.read().revoked_sessions.contains_key(&session_id)
    }
}
