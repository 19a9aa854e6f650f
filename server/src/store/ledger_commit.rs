//! The ledger's group commit: a group of transfers, their entries, boosts and audit entries,
//! and the changed cached balances, written in one transaction of multi-row statements.

use super::ledger::{TRANSFER_BATCH_MAX, TransferBatch};
use super::placeholders::value_rows;
use super::write_transaction::BeginWrite;
use super::{Store, StoreError, id_to_db, with_pool};

impl Store {
    /// Writes a group of transfers in one transaction: the transfer rows, two entries each,
    /// the boosts, the audit entries and the cached balances. All or nothing.
    pub async fn commit_transfer_batch(&self, batch: &TransferBatch) -> Result<(), StoreError> {
        assert!(batch.transfers.len() <= TRANSFER_BATCH_MAX);
        if batch.transfers.is_empty() {
            return Ok(());
        }
        const TRANSFER_WIDTH: usize = 17;
        let backend = self.backend();
        let transfers_sql = format!(
            "INSERT INTO ledger_transfers (seq, transfer_id, debit_account_id, \
             credit_account_id, amount_micros, code, actor_account_id, actor_role, post_id, \
             reply_id, external_ref, memo, allow_negative, debit_balance_after_micros, \
             credit_balance_after_micros, request_id, at_ms) VALUES {}",
            value_rows(backend, batch.transfers.len(), TRANSFER_WIDTH)
        );
        let entries_sql = format!(
            "INSERT INTO ledger_entries (transfer_seq, account_id, amount_micros) VALUES {}",
            value_rows(backend, batch.transfers.len() * 2, 3)
        );
        let audit_sql = format!(
            "INSERT INTO audit_log (at_ms, actor_account_id, actor_role, action, target, \
             outcome, request_id, detail) VALUES {}",
            value_rows(backend, batch.audits.len(), 8)
        );
        let boosts_sql = format!(
            "INSERT INTO compute_boosts (transfer_seq, agent_id, tier, starts_ms, ends_ms) \
             VALUES {}",
            value_rows(backend, batch.boosts.len(), 5)
        );
        let balances_sql = format!(
            "UPDATE ledger_accounts SET balance_micros = balance_micros + v.column2 \
             FROM (VALUES {}) AS v WHERE ledger_accounts.id = v.column1",
            value_rows(backend, batch.balance_deltas.len(), 2)
        );
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let mut query = sqlx::query(sqlx::AssertSqlSafe(transfers_sql.as_str()));
            for t in &batch.transfers {
                query = query
                    .bind(t.seq)
                    .bind(&t.transfer_id)
                    .bind(t.debit_account_id)
                    .bind(t.credit_account_id)
                    .bind(t.amount_micros)
                    .bind(&t.code)
                    .bind(t.actor_account_id)
                    .bind(&t.actor_role)
                    .bind(t.post_id)
                    .bind(t.reply_id)
                    .bind(&t.external_ref)
                    .bind(&t.memo)
                    .bind(t.allow_negative)
                    .bind(t.debit_balance_after_micros)
                    .bind(t.credit_balance_after_micros)
                    .bind(&t.request_id)
                    .bind(t.at_ms);
            }
            query.execute(&mut *tx).await?;
            let mut query = sqlx::query(sqlx::AssertSqlSafe(entries_sql.as_str()));
            for t in &batch.transfers {
                query = query
                    .bind(t.seq)
                    .bind(t.debit_account_id)
                    .bind(-t.amount_micros)
                    .bind(t.seq)
                    .bind(t.credit_account_id)
                    .bind(t.amount_micros);
            }
            query.execute(&mut *tx).await?;
            if !batch.boosts.is_empty() {
                let mut query = sqlx::query(sqlx::AssertSqlSafe(boosts_sql.as_str()));
                for b in &batch.boosts {
                    query = query
                        .bind(b.transfer_seq)
                        .bind(b.agent_id)
                        .bind(&b.tier)
                        .bind(b.starts_ms)
                        .bind(b.ends_ms);
                }
                query.execute(&mut *tx).await?;
            }
            if !batch.audits.is_empty() {
                let mut query = sqlx::query(sqlx::AssertSqlSafe(audit_sql.as_str()));
                for a in &batch.audits {
                    query = query
                        .bind(batch.at_ms)
                        .bind(a.actor_account_id.map(id_to_db))
                        .bind(&a.actor_role)
                        .bind(&a.action)
                        .bind(&a.target)
                        .bind(a.outcome)
                        .bind(&a.request_id)
                        .bind(&a.detail);
                }
                query.execute(&mut *tx).await?;
            }
            if !batch.balance_deltas.is_empty() {
                let mut query = sqlx::query(sqlx::AssertSqlSafe(balances_sql.as_str()));
                for (account, delta) in &batch.balance_deltas {
                    query = query.bind(*account).bind(*delta);
                }
                query.execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }
}
