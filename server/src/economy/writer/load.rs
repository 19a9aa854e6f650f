//! What the writer reads before deciding a group: each side's ledger account (an agent's made
//! on first use) with its balance in memory, earlier transfers with the group's ids and
//! earlier uses of its external references, today's use of each budget it names, and where
//! each ordered boost would start. Reads only, but for missing agent accounts.

use std::collections::HashMap;

use shared::AgentId;

use super::{Submission, Writer};
use crate::economy::transfer::{AccountRef, TransferError};
use crate::store::{StoreError, TransferRecord};

/// What a group's decisions need read first: both sides' account ids (an unknown agent
/// refuses only its own request), earlier transfers with the group's ids, earlier uses of its
/// external references, and where each ordered boost would start.
pub(super) struct Loaded {
    pub sides: Vec<Result<(i64, i64), TransferError>>,
    pub stored: HashMap<String, TransferRecord>,
    pub used_refs: HashMap<String, String>,
    pub boost_ends: HashMap<(AgentId, String), i64>,
}

impl Writer {
    /// Everything the group's decisions read: account ids, earlier transfers and references,
    /// the budgets' use today (into the writer's memory) and the running boosts.
    pub(super) async fn load(
        &mut self,
        group: &[Submission],
        now: i64,
    ) -> Result<Loaded, StoreError> {
        let mut sides = Vec::with_capacity(group.len());
        for submission in group {
            let request = &submission.request;
            let debit = self.load_account(request.debit, now).await;
            let credit = self.load_account(request.credit, now).await;
            sides.push(match (debit, credit) {
                (Ok(debit), Ok(credit)) => Ok((debit, credit)),
                (Err(error), _) | (_, Err(error)) => Err(error),
            });
        }
        let ids: Vec<&str> = group
            .iter()
            .map(|s| s.request.transfer_id.as_str())
            .collect();
        let stored = self
            .store
            .find_transfers(&ids)
            .await?
            .into_iter()
            .map(|t| (t.transfer_id.clone(), t))
            .collect();
        let refs: Vec<&str> = group
            .iter()
            .filter_map(|s| s.request.external_ref.as_deref())
            .collect();
        let used_refs = self
            .store
            .find_external_refs(&refs)
            .await?
            .into_iter()
            .collect();
        let boost_ends = self.load_budgets_and_boosts(group, now).await?;
        Ok(Loaded {
            sides,
            stored,
            used_refs,
            boost_ends,
        })
    }

    /// Reads today's use of each budget the group names that memory lacks, and where a new
    /// boost of each ordered (agent, tier) would start: at the end of the running one, or now.
    async fn load_budgets_and_boosts(
        &mut self,
        group: &[Submission],
        now: i64,
    ) -> Result<HashMap<(AgentId, String), i64>, StoreError> {
        let mut boost_ends = HashMap::new();
        for submission in group {
            let request = &submission.request;
            for budget in &request.budgets {
                if !self.spent.contains_key(&budget.key) {
                    let spent = budget.key.spent_since(&self.store, self.spent_day).await?;
                    self.spent.insert(budget.key.clone(), spent);
                }
            }
            if let Some(order) = &request.boost
                && let std::collections::hash_map::Entry::Vacant(slot) =
                    boost_ends.entry((order.agent, order.tier.clone()))
            {
                let end = self.store.boost_end(order.agent, &order.tier, now).await?;
                slot.insert(end.unwrap_or(now).max(now));
            }
        }
        Ok(boost_ends)
    }

    /// The account's id, with its balance in memory; makes an agent's account on first use.
    async fn load_account(&mut self, account: AccountRef, now: i64) -> Result<i64, TransferError> {
        let id = match account {
            AccountRef::Agent(agent) => match self.agent_accounts.get(&agent) {
                Some(id) => *id,
                None => {
                    let (id, balance) = self
                        .store
                        .ensure_agent_ledger_account(agent, now)
                        .await
                        .map_err(|error| {
                            if error.is_foreign_key_violation() {
                                TransferError::UnknownAgent(agent)
                            } else {
                                TransferError::Store(error)
                            }
                        })?;
                    self.agent_accounts.insert(agent, id);
                    self.account_agents.insert(id, agent);
                    self.balances.insert(id, balance);
                    id
                }
            },
            system => system
                .system_id()
                .expect("every non-agent account has a fixed id"),
        };
        if !self.balances.contains_key(&id) {
            let balance = self.store.ledger_account_balance(id).await?;
            self.balances.insert(id, balance);
            // After a failed write whose commit may still have landed, the database is the
            // truth: the tier book follows it too.
            if let (Some(book), Some(agent)) = (&self.tier_book, self.account_agents.get(&id)) {
                book.set_balance(*agent, balance);
            }
        }
        Ok(id)
    }
}
