//! The ledger writer: the one task that moves money. Requests arrive through a bounded
//! channel; the task takes every request waiting (up to [`TRANSFER_BATCH_MAX`]), checks each in
//! order against balances it holds in memory (idempotency, funds, daily budget, overflow), and
//! writes the accepted ones in one transaction: group commit. Nobody is answered before that
//! transaction is durable (SQLite WAL with `synchronous=FULL`, PostgreSQL with
//! `synchronous_commit` on), so an acknowledged transfer is never lost, and one fsync is shared
//! by the whole group.
//!
//! Being the only writer is what makes the in-memory checks sound: no other code path writes
//! the ledger tables, and the server runs one writer per database. If a group's transaction
//! fails, the memory is dropped (reloaded from the database on next use) and each request of
//! the group is tried alone, so one bad request cannot sink the others.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use shared::AgentId;
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::task::JoinHandle;

use super::tier_book::TierBook;
use super::transfer::{BudgetKey, Committed, TransferError, TransferRequest};
use crate::clock::now_ms;
use crate::metrics::Metrics;
use crate::store::{Store, StoreError, TRANSFER_BATCH_MAX, TransferBatch};

mod check;
mod load;
use check::Outcome;

/// A committed change of an agent's balance, for whoever follows tiers.
#[derive(Debug, Clone, PartialEq)]
pub struct BalanceChange {
    pub agent: AgentId,
    pub balance_micros: i64,
    /// The transfer that made it, and its code.
    pub seq: i64,
    pub code: String,
}

/// How the writer runs.
#[derive(Debug, Clone)]
pub struct WriterSettings {
    /// Requests waiting for the writer; callers wait beyond it.
    pub queue_max: usize,
    /// After the first request of a group arrives, how long to wait for more before writing.
    /// 0 writes at once: requests still group up while the previous write is in flight.
    pub batch_window: Duration,
    /// Told every committed balance and boost, so tier lookups follow at once.
    pub tier_book: Option<Arc<TierBook>>,
}

/// A handle to the writer; cheap to clone.
#[derive(Clone)]
pub struct Ledger {
    submissions: mpsc::Sender<Submission>,
    changes: broadcast::Sender<BalanceChange>,
}

struct Submission {
    request: TransferRequest,
    reply: oneshot::Sender<Result<Committed, TransferError>>,
}

impl Ledger {
    /// Starts the writer task.
    pub fn spawn(
        store: Store,
        metrics: Arc<Metrics>,
        settings: WriterSettings,
    ) -> (Ledger, JoinHandle<()>) {
        let (submissions, receiver) = mpsc::channel(settings.queue_max.max(1));
        let (changes, _) = broadcast::channel(1024);
        let writer = Writer {
            store,
            metrics,
            batch_window: settings.batch_window,
            tier_book: settings.tier_book,
            next_seq: None,
            agent_accounts: HashMap::new(),
            account_agents: HashMap::new(),
            pending_spent: HashMap::new(),
            balances: HashMap::new(),
            spent: HashMap::new(),
            spent_day: 0,
            changes: changes.clone(),
        };
        let join = tokio::spawn(writer.run(receiver));
        (
            Ledger {
                submissions,
                changes,
            },
            join,
        )
    }

    /// Makes one transfer, or answers why not. Returns once it is durable.
    pub async fn transfer(&self, request: TransferRequest) -> Result<Committed, TransferError> {
        let (reply, answer) = oneshot::channel();
        self.submissions
            .send(Submission { request, reply })
            .await
            .map_err(|_| TransferError::Unavailable)?;
        answer.await.map_err(|_| TransferError::Unavailable)?
    }

    /// Committed balance changes of agents, in commit order.
    pub fn subscribe(&self) -> broadcast::Receiver<BalanceChange> {
        self.changes.subscribe()
    }
}

/// The writer task's state: what it knows of the ledger, kept equal to the database.
struct Writer {
    store: Store,
    metrics: Arc<Metrics>,
    batch_window: Duration,
    tier_book: Option<Arc<TierBook>>,
    /// The last sequence number written; `None` until read (and after a failed write).
    next_seq: Option<i64>,
    /// Each agent's ledger account id (an account, once made, never changes), both ways.
    agent_accounts: HashMap<AgentId, i64>,
    account_agents: HashMap<i64, AgentId>,
    /// Cached balances by account id: the database's, read once and then kept in step.
    balances: HashMap<i64, i64>,
    /// Reward and penalty totals of each budget (account, or role pool) since `spent_day` began.
    spent: HashMap<BudgetKey, i64>,
    spent_day: i64,
    /// Budget totals of the group being written, taken into `spent` once it is durable.
    pending_spent: HashMap<BudgetKey, i64>,
    changes: broadcast::Sender<BalanceChange>,
}

impl Writer {
    async fn run(mut self, mut receiver: mpsc::Receiver<Submission>) {
        while let Some(first) = receiver.recv().await {
            let mut group = vec![first];
            if !self.batch_window.is_zero() {
                let deadline = tokio::time::Instant::now() + self.batch_window;
                while group.len() < TRANSFER_BATCH_MAX {
                    match tokio::time::timeout_at(deadline, receiver.recv()).await {
                        Ok(Some(next)) => group.push(next),
                        Ok(None) | Err(_) => break,
                    }
                }
            }
            while group.len() < TRANSFER_BATCH_MAX {
                match receiver.try_recv() {
                    Ok(next) => group.push(next),
                    Err(_) => break,
                }
            }
            let retry_alone = self.write_group(group, false).await;
            for submission in retry_alone {
                let left = self.write_group(vec![submission], true).await;
                debug_assert!(left.is_empty());
            }
        }
    }

    /// Checks and writes one group. When its transaction fails and the group had more than
    /// one request, returns the requests to try alone (unanswered); otherwise answers all.
    async fn write_group(&mut self, group: Vec<Submission>, alone: bool) -> Vec<Submission> {
        let now = now_ms();
        // Daily budgets reset at midnight UTC.
        let day = super::daily_budgets::day_start_ms(now);
        if day != self.spent_day {
            self.spent.clear();
            self.spent_day = day;
        }
        let checking = Instant::now();
        let checked = self.check_group(&group, now).await;
        self.metrics
            .ledger_check_duration
            .observe(checking.elapsed().as_secs_f64());
        let (outcomes, batch) = match checked {
            Ok(checked) => checked,
            Err(error) => {
                // The database could not be read: nothing was written; answer all.
                self.forget();
                let message = error.to_string();
                for submission in group {
                    let _ = submission
                        .reply
                        .send(Err(TransferError::Store(StoreError::Corrupt(
                            message.clone(),
                        ))));
                }
                return Vec::new();
            }
        };
        if !batch.transfers.is_empty() {
            let started = Instant::now();
            let written = self.store.commit_transfer_batch(&batch).await;
            self.metrics
                .ledger_commit_duration
                .observe(started.elapsed().as_secs_f64());
            if let Err(error) = written {
                self.forget();
                tracing::warn!(%error, transfers = batch.transfers.len(), "ledger group failed");
                if !alone && group.len() > 1 {
                    return group;
                }
                let message = error.to_string();
                let refused_by_database = error.is_constraint_violation();
                for (submission, outcome) in group.into_iter().zip(outcomes) {
                    let answer = match outcome {
                        Outcome::Done(answer) => *answer,
                        _ if refused_by_database => Err(TransferError::Refused(message.clone())),
                        _ => Err(TransferError::Store(StoreError::Corrupt(message.clone()))),
                    };
                    let _ = submission.reply.send(answer);
                }
                return Vec::new();
            }
            self.remember(&batch);
        }
        for (submission, outcome) in group.into_iter().zip(outcomes) {
            let answer = match outcome {
                Outcome::Done(answer) => *answer,
                Outcome::Accepted(index) | Outcome::SameAs(index) => {
                    let transfer = batch.transfers[index].clone();
                    let boost = batch
                        .boosts
                        .iter()
                        .find(|b| b.transfer_seq == transfer.seq)
                        .cloned();
                    Ok(Committed {
                        transfer,
                        boost,
                        replayed: matches!(outcome, Outcome::SameAs(_)),
                    })
                }
            };
            let _ = submission.reply.send(answer);
        }
        Vec::new()
    }

    /// Takes a written group into memory and tells followers.
    fn remember(&mut self, batch: &TransferBatch) {
        let last = batch.transfers.last().map(|t| t.seq);
        if let (Some(first), Some(before)) = (batch.transfers.first(), self.next_seq) {
            assert!(first.seq > before, "sequence numbers strictly increase");
        }
        self.next_seq = last.or(self.next_seq);
        for transfer in &batch.transfers {
            let (debit, credit) = (transfer.debit_account_id, transfer.credit_account_id);
            if debit != credit {
                // The cache the group was checked against, moved by this transfer, is what the
                // database now stores as its balances after.
                let amount = transfer.amount_micros;
                assert_eq!(
                    self.balances.get(&debit).map(|b| b - amount),
                    Some(transfer.debit_balance_after_micros),
                    "the cached debit balance before transfer {}",
                    transfer.seq
                );
                assert_eq!(
                    self.balances.get(&credit).map(|b| b + amount),
                    Some(transfer.credit_balance_after_micros),
                    "the cached credit balance before transfer {}",
                    transfer.seq
                );
            }
            self.balances
                .insert(debit, transfer.debit_balance_after_micros);
            self.balances
                .insert(credit, transfer.credit_balance_after_micros);
        }
        if let Some(book) = &self.tier_book {
            for boost in &batch.boosts {
                book.add_boost(boost);
            }
        }
        for (key, used) in self.pending_spent.drain() {
            self.spent.insert(key, used);
        }
        self.metrics
            .ledger_transfers
            .inc_by(batch.transfers.len() as u64);
        self.metrics
            .ledger_group_transfers
            .observe(batch.transfers.len() as f64);
        for transfer in &batch.transfers {
            for (account, balance) in [
                (
                    transfer.debit_account_id,
                    transfer.debit_balance_after_micros,
                ),
                (
                    transfer.credit_account_id,
                    transfer.credit_balance_after_micros,
                ),
            ] {
                if let Some(agent) = self.account_agents.get(&account) {
                    if let Some(book) = &self.tier_book {
                        book.set_balance(*agent, balance);
                    }
                    let _ = self.changes.send(BalanceChange {
                        agent: *agent,
                        balance_micros: balance,
                        seq: transfer.seq,
                        code: transfer.code.clone(),
                    });
                }
            }
        }
    }

    /// Drops what memory holds of balances and budgets after a failed write: the database is
    /// the truth, and it is read again on next use.
    fn forget(&mut self) {
        self.next_seq = None;
        self.balances.clear();
        self.spent.clear();
        self.pending_spent.clear();
    }
}
