//! The writer's checks of one group, in phases: read what memory lacks (`load.rs`), decide
//! each request in order against the group's running state (retries and reused ids, external
//! references, funds, daily budgets, overflow, boost times), then finish the batch the group
//! commit writes. Writes nothing itself but missing agent accounts. The ledger's invariants
//! are asserted where they hold: each transfer's two balance changes net to zero, sequence
//! numbers strictly increase, a budget's use stays within its limit, a group's net change is
//! zero.

use std::collections::HashMap;

use super::load::Loaded;
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

/// A group's running state while its requests are decided in order.
struct Running {
    /// The last sequence number written before this group.
    last_seq: i64,
    now: i64,
    /// Balances after the group's accepted transfers so far (the writer's cache before them).
    balances: HashMap<i64, i64>,
    /// Budget use after the group's accepted transfers so far.
    spent: HashMap<BudgetKey, i64>,
    /// Net change of each touched account.
    deltas: HashMap<i64, i64>,
    /// The index of each accepted transfer id in `batch.transfers`.
    in_group: HashMap<String, usize>,
    batch: TransferBatch,
    outcomes: Vec<Outcome>,
    /// Retries of earlier purchases, whose answer needs the boost they bought.
    replays_to_read: Vec<usize>,
}

fn done(answer: Result<Committed, TransferError>) -> Outcome {
    Outcome::Done(Box::new(answer))
}

impl Writer {
    /// Decides each request of the group in order and builds what to write. Reads the
    /// database for what memory lacks; writes nothing but missing agent accounts.
    pub(super) async fn check_group(
        &mut self,
        group: &[Submission],
        now: i64,
    ) -> Result<(Vec<Outcome>, TransferBatch), StoreError> {
        let last_seq = match self.next_seq {
            Some(seq) => seq,
            None => self.store.last_transfer_seq().await?,
        };
        self.next_seq = Some(last_seq);
        let mut loaded = self.load(group, now).await?;
        let mut running = Running {
            last_seq,
            now,
            balances: HashMap::new(),
            spent: HashMap::new(),
            deltas: HashMap::new(),
            in_group: HashMap::new(),
            batch: TransferBatch {
                at_ms: now,
                ..TransferBatch::default()
            },
            outcomes: Vec::with_capacity(group.len()),
            replays_to_read: Vec::new(),
        };
        for (index, submission) in group.iter().enumerate() {
            let outcome = self.decide(index, &submission.request, &mut loaded, &mut running);
            running.outcomes.push(outcome);
        }
        self.read_replayed_boosts(&mut running).await?;
        Ok(self.finish(running))
    }

    /// The outcome of the group's `index`th request: refused, a retry (of a stored transfer
    /// or of one earlier in the group), or accepted into the batch.
    fn decide(
        &self,
        index: usize,
        request: &TransferRequest,
        loaded: &mut Loaded,
        running: &mut Running,
    ) -> Outcome {
        let (debit_id, credit_id) = match std::mem::replace(&mut loaded.sides[index], Ok((0, 0))) {
            Ok(ids) => ids,
            Err(error) => return done(Err(error)),
        };
        let reused = || done(Err(TransferError::IdReused(request.transfer_id.clone())));
        if let Some(earlier) = loaded.stored.get(&request.transfer_id) {
            if !request.same_body_as(earlier, debit_id, credit_id) {
                return reused();
            }
            running.replays_to_read.push(index);
            return done(Ok(Committed {
                transfer: earlier.clone(),
                boost: None,
                replayed: true,
            }));
        }
        if let Some(&earlier) = running.in_group.get(&request.transfer_id) {
            let first = &running.batch.transfers[earlier];
            return if request.same_body_as(first, debit_id, credit_id) {
                Outcome::SameAs(earlier)
            } else {
                reused()
            };
        }
        let checked = self.check_one(
            request,
            (debit_id, credit_id),
            &running.balances,
            &running.spent,
            &loaded.used_refs,
        );
        match checked {
            Err(error) => done(Err(error)),
            Ok(after) => Outcome::Accepted(self.accept(
                request,
                (debit_id, credit_id),
                after,
                loaded,
                running,
            )),
        }
    }

    /// Takes a checked request into the batch: its transfer, audit entry and boost, and the
    /// group's balances, budget use and references after it. Its index in the batch.
    fn accept(
        &self,
        request: &TransferRequest,
        (debit_id, credit_id): (i64, i64),
        (debit_after, credit_after): (i64, i64),
        loaded: &mut Loaded,
        running: &mut Running,
    ) -> usize {
        let amount = request.amount_micros;
        let seq = running.last_seq + 1 + running.batch.transfers.len() as i64;
        let previous_seq = running
            .batch
            .transfers
            .last()
            .map_or(running.last_seq, |t| t.seq);
        assert!(seq > previous_seq, "sequence numbers strictly increase");
        let before = |id: i64| {
            running
                .balances
                .get(&id)
                .copied()
                .unwrap_or(self.balances[&id])
        };
        if debit_id != credit_id {
            // The transfer's two balance changes net to zero.
            assert_eq!(before(debit_id) - amount, debit_after, "the debit side");
            assert_eq!(before(credit_id) + amount, credit_after, "the credit side");
        }
        running.balances.insert(debit_id, debit_after);
        running.balances.insert(credit_id, credit_after);
        *running.deltas.entry(debit_id).or_default() -= amount;
        *running.deltas.entry(credit_id).or_default() += amount;
        for budget in &request.budgets {
            let used = running
                .spent
                .get(&budget.key)
                .copied()
                .unwrap_or(self.spent[&budget.key])
                + amount;
            assert!(
                used <= budget.limit_micros,
                "a budget's use stays within its limit"
            );
            running.spent.insert(budget.key.clone(), used);
        }
        if let Some(reference) = &request.external_ref {
            loaded
                .used_refs
                .insert(reference.clone(), request.transfer_id.clone());
        }
        if let Some(order) = &request.boost {
            let key = (order.agent, order.tier.clone());
            let starts_ms = loaded.boost_ends.get(&key).copied().unwrap_or(running.now);
            let ends_ms = starts_ms.saturating_add(order.duration_ms);
            loaded.boost_ends.insert(key, ends_ms);
            running.batch.boosts.push(BoostRecord {
                transfer_seq: seq,
                agent_id: id_to_db(order.agent.0),
                tier: order.tier.clone(),
                starts_ms,
                ends_ms,
            });
        }
        running.batch.audits.push(audit_of(request, seq));
        running.batch.transfers.push(transfer_record(
            request,
            seq,
            (debit_id, credit_id),
            (debit_after, credit_after),
            running.now,
        ));
        let index = running.batch.transfers.len() - 1;
        running.in_group.insert(request.transfer_id.clone(), index);
        index
    }

    /// A retried purchase answers with the boost it bought.
    async fn read_replayed_boosts(&self, running: &mut Running) -> Result<(), StoreError> {
        for index in std::mem::take(&mut running.replays_to_read) {
            if let Outcome::Done(answer) = &mut running.outcomes[index]
                && let Ok(committed) = answer.as_mut()
                && committed.transfer.code == "purchase_compute"
            {
                committed.boost = self.store.boost_of_transfer(committed.transfer.seq).await?;
            }
        }
        Ok(())
    }

    /// The outcomes and the batch to write; the group's budget use waits in `pending_spent`
    /// until the batch is committed.
    fn finish(&mut self, running: Running) -> (Vec<Outcome>, TransferBatch) {
        let Running {
            deltas,
            mut batch,
            outcomes,
            spent,
            ..
        } = running;
        let net: i128 = deltas.values().map(|delta| i128::from(*delta)).sum();
        assert_eq!(
            net, 0,
            "every transfer moves money from one account to another"
        );
        batch.balance_deltas = deltas.into_iter().filter(|(_, d)| *d != 0).collect();
        batch.balance_deltas.sort_unstable();
        self.pending_spent = spent;
        (outcomes, batch)
    }

    /// Funds, overflow and budget for one request against the group's running state; the new
    /// balances of both sides when it may go ahead.
    fn check_one(
        &self,
        request: &TransferRequest,
        (debit_id, credit_id): (i64, i64),
        balances: &HashMap<i64, i64>,
        spent: &HashMap<BudgetKey, i64>,
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
}

/// The record written for an accepted transfer.
fn transfer_record(
    request: &TransferRequest,
    seq: i64,
    (debit_id, credit_id): (i64, i64),
    (debit_after, credit_after): (i64, i64),
    now: i64,
) -> TransferRecord {
    TransferRecord {
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
