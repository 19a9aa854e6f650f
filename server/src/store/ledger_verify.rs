//! `village ledger verify`: recomputes the ledger from its entries and reports every place
//! where it disagrees with itself. The checks only read; each is one aggregate query, so the
//! ledger is never loaded into memory whole.

use serde::Serialize;

use super::{Store, StoreError, with_pool};

/// Problems listed per check; beyond this the report gives only the count.
const PROBLEMS_LISTED_MAX: i64 = 20;

/// What a verification found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LedgerReport {
    pub transfers: i64,
    pub accounts: i64,
    /// Sum of every entry (must be 0).
    pub entries_sum_micros: i64,
    /// Sum of every cached balance (must be 0).
    pub balances_sum_micros: i64,
    /// One line per problem found (at most 20 per check), empty when the ledger is sound.
    pub problems: Vec<String>,
}

impl LedgerReport {
    /// Whether nothing is off.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}

impl Store {
    /// Checks that every transfer has exactly its two entries (debit −amount, credit +amount),
    /// that entries and balances each sum to zero, that every cached balance equals the sum of
    /// its account's entries, that each transfer's recorded balances-after equal the running
    /// sums, and that no agent is below zero without a flagged admin penalty.
    pub async fn verify_ledger(&self) -> Result<LedgerReport, StoreError> {
        let mut report = LedgerReport::default();
        let (transfers, accounts, entries_sum, balances_sum): (i64, i64, i64, i64) = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM ledger_transfers), \
                 (SELECT COUNT(*) FROM ledger_accounts), \
                 (SELECT CAST(COALESCE(SUM(amount_micros), 0) AS BIGINT) FROM ledger_entries), \
                 (SELECT CAST(COALESCE(SUM(balance_micros), 0) AS BIGINT) FROM ledger_accounts)",
            )
            .fetch_one(pool)
            .await?
        });
        report.transfers = transfers;
        report.accounts = accounts;
        report.entries_sum_micros = entries_sum;
        report.balances_sum_micros = balances_sum;
        if entries_sum != 0 {
            report
                .problems
                .push(format!("entries sum to {entries_sum} micros, not 0"));
        }
        if balances_sum != 0 {
            report.problems.push(format!(
                "cached balances sum to {balances_sum} micros, not 0"
            ));
        }

        // Each transfer: two entries, the debit's and the credit's, of -amount and +amount.
        let bad_transfers: Vec<(i64, i64, i64)> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT t.seq, \
                 (SELECT COUNT(*) FROM ledger_entries e WHERE e.transfer_seq = t.seq), \
                 (SELECT CAST(COALESCE(SUM(e.amount_micros), 0) AS BIGINT) FROM ledger_entries e \
                  WHERE e.transfer_seq = t.seq) \
                 FROM ledger_transfers t \
                 WHERE (SELECT COUNT(*) FROM ledger_entries e WHERE e.transfer_seq = t.seq) <> 2 \
                 OR NOT EXISTS (SELECT 1 FROM ledger_entries e WHERE e.transfer_seq = t.seq \
                   AND e.account_id = t.debit_account_id AND e.amount_micros = -t.amount_micros) \
                 OR NOT EXISTS (SELECT 1 FROM ledger_entries e WHERE e.transfer_seq = t.seq \
                   AND e.account_id = t.credit_account_id AND e.amount_micros = t.amount_micros) \
                 ORDER BY t.seq LIMIT $1",
            )
            .bind(PROBLEMS_LISTED_MAX)
            .fetch_all(pool)
            .await?
        });
        for (seq, count, sum) in bad_transfers {
            report.problems.push(format!(
                "transfer {seq}: {count} entries summing to {sum} micros, not its debit and credit"
            ));
        }

        // Each account: the cached balance equals the sum of its entries.
        let bad_balances: Vec<(String, i64, i64)> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT a.name, a.balance_micros, \
                 CAST(COALESCE((SELECT SUM(e.amount_micros) FROM ledger_entries e \
                   WHERE e.account_id = a.id), 0) AS BIGINT) AS summed \
                 FROM ledger_accounts a \
                 WHERE a.balance_micros <> CAST(COALESCE((SELECT SUM(e.amount_micros) \
                   FROM ledger_entries e WHERE e.account_id = a.id), 0) AS BIGINT) \
                 ORDER BY a.id LIMIT $1",
            )
            .bind(PROBLEMS_LISTED_MAX)
            .fetch_all(pool)
            .await?
        });
        for (name, cached, summed) in bad_balances {
            report.problems.push(format!(
                "account {name}: cached balance {cached} micros, entries sum to {summed}"
            ));
        }

        // Each transfer's recorded balance after it equals its account's running sum.
        let bad_running: Vec<(i64, String, i64, i64)> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT r.transfer_seq, a.name, r.recorded, r.running FROM ( \
                   SELECT e.transfer_seq, e.account_id, \
                   CASE WHEN e.account_id = t.debit_account_id \
                     THEN t.debit_balance_after_micros ELSE t.credit_balance_after_micros END \
                     AS recorded, \
                   CAST(SUM(e.amount_micros) OVER (PARTITION BY e.account_id \
                     ORDER BY e.transfer_seq) AS BIGINT) AS running \
                   FROM ledger_entries e JOIN ledger_transfers t ON t.seq = e.transfer_seq \
                 ) r JOIN ledger_accounts a ON a.id = r.account_id \
                 WHERE r.recorded <> r.running ORDER BY r.transfer_seq LIMIT $1",
            )
            .bind(PROBLEMS_LISTED_MAX)
            .fetch_all(pool)
            .await?
        });
        for (seq, name, recorded, running) in bad_running {
            report.problems.push(format!(
                "transfer {seq}: records {recorded} micros after it for {name}, \
                 its entries give {running}"
            ));
        }

        // No agent below zero unless an admin penalty was flagged to allow it.
        let negative: Vec<(String, i64)> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT a.name, a.balance_micros FROM ledger_accounts a \
                 WHERE a.kind = 'agent' AND a.balance_micros < 0 AND NOT EXISTS ( \
                   SELECT 1 FROM ledger_transfers t \
                   WHERE t.debit_account_id = a.id AND t.allow_negative) \
                 ORDER BY a.id LIMIT $1",
            )
            .bind(PROBLEMS_LISTED_MAX)
            .fetch_all(pool)
            .await?
        });
        for (name, balance) in negative {
            report.problems.push(format!(
                "account {name}: balance {balance} micros is below zero with no flagged penalty"
            ));
        }
        Ok(report)
    }
}
