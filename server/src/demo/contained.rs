//! Demo residents that live in containers: when the agent runtime runs beside the server
//! (`demo.container_agents`, set by `scripts/village.sh` when a Docker engine answers), the
//! first residents by id get agent accounts, so the runtime lists them and starts a container
//! for each; the in-process demo driver leaves every agent with an account to its container.
//!
//! The account's token is made here and thrown away: the runtime asks for a fresh one for each
//! container it starts.

use std::collections::HashSet;

use shared::AgentId;
use shared::runtime::AgentBrain;

use crate::auth::secret_token;
use crate::clock::now_ms;
use crate::store::{AuditEntry, Store, StoreError};

/// Gives the first `count` agents (by id) an account if they have none, and `brain`; returns
/// every agent that has an account (all of them are left to the runtime). A resident that
/// already had an account keeps its brain (an admin may have switched it).
pub async fn ensure_contained(
    store: &Store,
    count: usize,
    brain: AgentBrain,
) -> Result<HashSet<AgentId>, StoreError> {
    let mut with_account: HashSet<AgentId> = store
        .list_agent_accounts()
        .await?
        .iter()
        .filter_map(|account| account.agent().map(AgentId))
        .collect();
    let first: Vec<AgentId> = store
        .list_agents()
        .await?
        .into_iter()
        .map(|(record, _)| record.view.id)
        .take(count)
        .collect();
    for agent in first {
        if with_account.contains(&agent) {
            continue;
        }
        let unknown = secret_token::hash(&secret_token::generate(secret_token::AGENT_TOKEN_PREFIX));
        let audit = AuditEntry {
            target: format!("agent:{agent}"),
            detail: "a demo resident given to the agent runtime".into(),
            ..AuditEntry::system("demo.container_agent", "-")
        };
        store
            .issue_agent_token(agent.0, &unknown, &audit, now_ms())
            .await?;
        let audit = AuditEntry {
            target: format!("agent:{agent}"),
            detail: format!(
                "a demo resident in a container decides with the {} brain",
                brain.as_str()
            ),
            ..AuditEntry::system("demo.container_agent_brain", "-")
        };
        store
            .save_agent_brain(agent, brain, &audit, now_ms())
            .await?;
        with_account.insert(agent);
    }
    Ok(with_account)
}
