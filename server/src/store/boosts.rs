//! Queries on `compute_boosts`: boosts bought with `purchase_compute` transfers (written by
//! the ledger's group commit), read for standings, the tier book and boost stacking.

use shared::AgentId;

use super::{Store, StoreError, id_to_db, with_pool};

/// A compute boost bought by a transfer.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct BoostRecord {
    pub transfer_seq: i64,
    pub agent_id: i64,
    pub tier: String,
    pub starts_ms: i64,
    pub ends_ms: i64,
}

const BOOST_COLUMNS: &str = "transfer_seq, agent_id, tier, starts_ms, ends_ms";

impl Store {
    /// The latest end of the agent's boosts of `tier` that end after `now_ms`.
    pub async fn boost_end(
        &self,
        agent: AgentId,
        tier: &str,
        now_ms: i64,
    ) -> Result<Option<i64>, StoreError> {
        let end: Option<i64> = with_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT MAX(ends_ms) FROM compute_boosts \
                 WHERE agent_id = $1 AND tier = $2 AND ends_ms > $3",
            )
            .bind(id_to_db(agent.0))
            .bind(tier)
            .bind(now_ms)
            .fetch_one(pool)
            .await?
        });
        Ok(end)
    }

    /// The agent's boosts that have not ended by `now_ms`, soonest start first.
    pub async fn live_boosts(
        &self,
        agent: AgentId,
        now_ms: i64,
    ) -> Result<Vec<BoostRecord>, StoreError> {
        let rows: Vec<BoostRecord> = with_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {BOOST_COLUMNS} FROM compute_boosts WHERE agent_id = $1 AND ends_ms > $2 \
                 ORDER BY starts_ms, transfer_seq"
            )))
            .bind(id_to_db(agent.0))
            .bind(now_ms)
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }

    /// Every agent's boosts that have not ended by `now_ms`.
    pub async fn list_all_live_boosts(&self, now_ms: i64) -> Result<Vec<BoostRecord>, StoreError> {
        let rows: Vec<BoostRecord> = with_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {BOOST_COLUMNS} FROM compute_boosts WHERE ends_ms > $1"
            )))
            .bind(now_ms)
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }

    /// The boost a transfer bought, if any.
    pub async fn boost_of_transfer(&self, seq: i64) -> Result<Option<BoostRecord>, StoreError> {
        let row: Option<BoostRecord> = with_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {BOOST_COLUMNS} FROM compute_boosts WHERE transfer_seq = $1"
            )))
            .bind(seq)
            .fetch_optional(pool)
            .await?
        });
        Ok(row)
    }
}
