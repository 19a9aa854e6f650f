//! The writer's checks of one group, in order, against what it holds in memory: account ids
//! and balances (read on first use), retries and reused ids, external references, funds,
//! daily budgets, overflow and boost times. Builds what the group commit writes; writes
//! nothing itself but missing agent accounts.

use std::collections::HashMap;

use shared::AgentId;

use super::{Submission, Writer};
use crate::economy::transfer::{AccountRef, BudgetKey, Committed, TransferError, TransferRequest};
use crate::store::{AuditEntry, BoostRecord, StoreError, TransferBatch, TransferRecord, id_to_db};

/// Where a request stands while its group is checked.
pub(super) enum Outcome {
    /// Answered already (refused, or a retry of an earlier transfer). Boxed: a group holds
    /// up to 512 of these and most are `Accepted`.
    Done(Box<Result<Committed, TransferError>>),
    /// Accepted: index into the group's transfers.
    Accepted(usize),
    /// A retry of a transfer accepted earlier in the same group.
    SameAs(usize),
}

impl Writer {
    /// Decides each request of the group in order and builds what to write. Reads the
    /// database for what memory lacks; writes nothing but missing agent accounts.
    pub(super) async fn check_group(
        &mut self,
        group: &[Submission],
        now: i64,
    ) -> Result<(Vec<Outcome>, TransferBatch), StoreError> {
        let next_seq = match self.next_seq {
            Some(seq) => seq,
            None => self.store.last_transfer_seq().await?,
        };
        self.next_seq = Some(next_seq);

        // Account ids of both sides; an unknown agent refuses only its own request.
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

        // Earlier transfers with these ids, and earlier uses of these external references.
        let ids: Vec<&str> = group
            .iter()
            .map(|s| s.request.transfer_id.as_str())
            .collect();
        let stored: HashMap<String, TransferRecord> = self
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
        let mut used_refs: HashMap<String, String> = self
            .store
            .find_external_refs(&refs)
            .await?
            .into_iter()
            .collect();

        // Budget use of each actor with a budget, and running boosts of each ordered tier.
        let mut boost_ends: HashMap<(AgentId, String), i64> = HashMap::new();
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

        let mut balances: HashMap<i64, i64> = HashMap::new();
        let mut spent: HashMap<BudgetKey, i64> = HashMap::new();
        let mut deltas: HashMap<i64, i64> = HashMap::new();
        let mut in_group: HashMap<String, usize> = HashMap::new();
        let mut batch = TransferBatch {
            at_ms: now,
            ..TransferBatch::default()
        };
        let mut outcomes = Vec::with_capacity(group.len());
        let mut replays_to_read = Vec::new();
        for (index, submission) in group.iter().enumerate() {
            let request = &submission.request;
            let (debit_id, credit_id) = match std::mem::replace(&mut sides[index], Ok((0, 0))) {
                Ok(ids) => ids,
                Err(error) => {
                    outcomes.push(Outcome::Done(Box::new(Err(error))));
                    continue;
                }
            };
            if let Some(earlier) = stored.get(&request.transfer_id) {
                if request.same_body_as(earlier, debit_id, credit_id) {
                    replays_to_read.push(index);
                    outcomes.push(Outcome::Done(Box::new(Ok(Committed {
                        transfer: earlier.clone(),
                        boost: None,
                        replayed: true,
                    }))));
                } else {
                    outcomes.push(Outcome::Done(Box::new(Err(TransferError::IdReused(
                        request.transfer_id.clone(),
                    )))));
                }
                continue;
            }
            if let Some(&earlier) = in_group.get(&request.transfer_id) {
                outcomes.push(
                    if request.same_body_as(&batch.transfers[earlier], debit_id, credit_id) {
                        Outcome::SameAs(earlier)
                    } else {
                        Outcome::Done(Box::new(Err(TransferError::IdReused(
                            request.transfer_id.clone(),
                        ))))
                    },
                );
                continue;
            }
            match self.check_one(
                request,
                (debit_id, credit_id),
                &mut balances,
                &mut spent,
                &used_refs,
            ) {
                Err(error) => outcomes.push(Outcome::Done(Box::new(Err(error)))),
                Ok((debit_after, credit_after)) => {
                    let seq = next_seq + 1 + batch.transfers.len() as i64;
                    balances.insert(debit_id, debit_after);
                    balances.insert(credit_id, credit_after);
                    *deltas.entry(debit_id).or_default() -= request.amount_micros;
                    *deltas.entry(credit_id).or_default() += request.amount_micros;
                    for budget in &request.budgets {
                        let before = self.spent[&budget.key];
                        *spent.entry(budget.key.clone()).or_insert(before) += request.amount_micros;
                    }
                    if let Some(reference) = &request.external_ref {
                        used_refs.insert(reference.clone(), request.transfer_id.clone());
                    }
                    if let Some(order) = &request.boost {
                        let key = (order.agent, order.tier.clone());
                        let starts_ms = boost_ends.get(&key).copied().unwrap_or(now);
                        let ends_ms = starts_ms.saturating_add(order.duration_ms);
                        boost_ends.insert(key, ends_ms);
                        batch.boosts.push(BoostRecord {
                            transfer_seq: seq,
                            agent_id: id_to_db(order.agent.0),
                            tier: order.tier.clone(),
                            starts_ms,
                            ends_ms,
                        });
                    }
                    batch.audits.push(audit_of(request, seq));
                    batch.transfers.push(TransferRecord {
                        seq,
                        transfer_id: request.transfer_id.clone(),
                        debit_account_id: debit_id,
                        credit_account_id: credit_id,
                        debit_account: request.debit.name(),
                        credit_account: request.credit.name(),
                        amount_micros: request.amount_micros,
                        code: request.code.as_str().to_string(),
                        actor_account_id: request.actor_account_id.map(id_to_db),
                        actor_role: request.actor_role.clone(),
                        post_id: request.post_id.map(id_to_db),
                        reply_id: request.reply_id.map(id_to_db),
                        external_ref: request.external_ref.clone(),
                        memo: request.memo.clone(),
                        allow_negative: request.allow_negative,
                        debit_balance_after_micros: debit_after,
                        credit_balance_after_micros: credit_after,
                        request_id: request.request_id.clone(),
                        at_ms: now,
                    });
                    in_group.insert(request.transfer_id.clone(), batch.transfers.len() - 1);
                    outcomes.push(Outcome::Accepted(batch.transfers.len() - 1));
                }
            }
        }
        // A retried purchase answers with the boost it bought.
        for index in replays_to_read {
            if let Outcome::Done(answer) = &mut outcomes[index]
                && let Ok(committed) = answer.as_mut()
                && committed.transfer.code == "purchase_compute"
            {
                committed.boost = self.store.boost_of_transfer(committed.transfer.seq).await?;
            }
        }
        batch.balance_deltas = deltas.into_iter().filter(|(_, d)| *d != 0).collect();
        batch.balance_deltas.sort_unstable();
        self.pending_spent = spent;
        Ok((outcomes, batch))
    }

    /// Funds, overflow and budget for one request against the group's running state; the new
    /// balances of both sides when it may go ahead.
    fn check_one(
        &self,
        request: &TransferRequest,
        (debit_id, credit_id): (i64, i64),
        balances: &mut HashMap<i64, i64>,
        spent: &mut HashMap<BudgetKey, i64>,
        used_refs: &HashMap<String, String>,
    ) -> Result<(i64, i64), TransferError> {
        assert!(request.amount_micros > 0, "callers check amounts");
        if let Some(reference) = &request.external_ref
            && let Some(by) = used_refs.get(reference)
        {
            return Err(TransferError::ExternalRefUsed(
                reference.clone(),
                by.clone(),
            ));
        }
        let balance = |id: i64| balances.get(&id).copied().unwrap_or(self.balances[&id]);
        let debit_before = balance(debit_id);
        let debit_after = debit_before
            .checked_sub(request.amount_micros)
            .ok_or(TransferError::Overflow)?;
        let credit_after = balance(credit_id)
            .checked_add(request.amount_micros)
            .ok_or(TransferError::Overflow)?;
        if matches!(request.debit, AccountRef::Agent(_))
            && debit_after < 0
            && !request.allow_negative
        {
            return Err(TransferError::InsufficientFunds {
                balance_micros: debit_before,
                needed_micros: request.amount_micros,
            });
        }
        for budget in &request.budgets {
            let used = spent
                .get(&budget.key)
                .copied()
                .unwrap_or(self.spent[&budget.key]);
            if used.saturating_add(request.amount_micros) > budget.limit_micros {
                return Err(budget.exceeded(used));
            }
        }
        Ok((debit_after, credit_after))
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

/// The audit entry written with a transfer.
fn audit_of(request: &TransferRequest, seq: i64) -> AuditEntry {
    let target = match (request.debit, request.credit) {
        (AccountRef::Agent(agent), _) | (_, AccountRef::Agent(agent)) => {
            format!("agent:{}", agent.0)
        }
        (debit, _) => debit.name(),
    };
    AuditEntry {
        actor_account_id: request.actor_account_id,
        actor_role: request.actor_role.clone(),
        action: request.audit_action.to_string(),
        target,
        outcome: "ok",
        request_id: request.request_id.clone(),
        detail: format!(
            "transfer {} ({}): {} micro-aiDollar {} -> {}",
            seq,
            request.transfer_id,
            request.amount_micros,
            request.debit.name(),
            request.credit.name()
        ),
    }
}
