//! Queries on `llm_usage`: one row per LLM call through the gateway, and the tokens an agent
//! used over a window (its hourly budget).

use shared::AgentId;

use super::{Store, StoreError, id_to_db, with_pool};

/// One metered call.
#[derive(Debug, Clone, PartialEq)]
pub struct LlmUsage {
    pub agent: AgentId,
    pub model: String,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub total_tokens: i64,
    /// Whether the upstream reported the usage.
    pub metered: bool,
    pub cost_micros: i64,
    pub charged_micros: i64,
    /// The `llm_usage` transfer that charged it.
    pub transfer_id: Option<String>,
    pub request_id: String,
    pub at_ms: i64,
}

impl Store {
    /// Records one call.
    pub async fn insert_llm_usage(&self, usage: &LlmUsage) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO llm_usage (agent_id, model, prompt_tokens, completion_tokens, \
                 total_tokens, metered, cost_micros, charged_micros, transfer_id, request_id, \
                 at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(id_to_db(usage.agent.0))
            .bind(&usage.model)
            .bind(usage.prompt_tokens)
            .bind(usage.completion_tokens)
            .bind(usage.total_tokens)
            .bind(usage.metered)
            .bind(usage.cost_micros)
            .bind(usage.charged_micros)
            .bind(&usage.transfer_id)
            .bind(&usage.request_id)
            .bind(usage.at_ms)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Tokens the agent used in calls since `since_ms`.
    pub async fn llm_tokens_since(&self, agent: AgentId, since_ms: i64) -> Result<i64, StoreError> {
        let used: i64 = with_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT CAST(COALESCE(SUM(total_tokens), 0) AS BIGINT) FROM llm_usage \
                 WHERE agent_id = $1 AND at_ms >= $2",
            )
            .bind(id_to_db(agent.0))
            .bind(since_ms)
            .fetch_one(pool)
            .await?
        });
        Ok(used)
    }

    /// Tokens the agent used since `since_ms` in calls to `model` that cost nothing (its free
    /// allowance on a priced model).
    pub async fn llm_free_tokens_since(
        &self,
        agent: AgentId,
        model: &str,
        since_ms: i64,
    ) -> Result<i64, StoreError> {
        let used: i64 = with_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT CAST(COALESCE(SUM(total_tokens), 0) AS BIGINT) FROM llm_usage \
                 WHERE agent_id = $1 AND at_ms >= $2 AND model = $3 AND cost_micros = 0",
            )
            .bind(id_to_db(agent.0))
            .bind(since_ms)
            .bind(model)
            .fetch_one(pool)
            .await?
        });
        Ok(used)
    }

    /// The oldest call since `since_ms` (when the hourly budget frees up again).
    pub async fn oldest_llm_call_since(
        &self,
        agent: AgentId,
        since_ms: i64,
    ) -> Result<Option<i64>, StoreError> {
        let at: Option<i64> = with_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT MIN(at_ms) FROM llm_usage WHERE agent_id = $1 AND at_ms >= $2",
            )
            .bind(id_to_db(agent.0))
            .bind(since_ms)
            .fetch_one(pool)
            .await?
        });
        Ok(at)
    }
}

impl Store {
    /// The model of the agent's latest call and when it was made; `None` before its first.
    pub async fn last_llm_call(&self, agent: AgentId) -> Result<Option<(String, i64)>, StoreError> {
        let row: Option<(String, i64)> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT model, at_ms FROM llm_usage WHERE agent_id = $1 \
                 ORDER BY at_ms DESC, id DESC LIMIT 1",
            )
            .bind(id_to_db(agent.0))
            .fetch_optional(pool)
            .await?
        });
        Ok(row)
    }
}
