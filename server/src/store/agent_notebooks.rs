//! Queries on `agent_notebooks`, one function per query: the notebook each agent last published
//! (its task memory), one row per agent, replaced whole by the next publish. The body is stored
//! as JSON text and parsed back here; whether a notebook keeps its limits is decided before it
//! gets here (`crate::notebooks`), not by the store.

use shared::AgentId;
use shared::api::AgentNotebook;

use super::{Store, StoreError, id_to_db, with_pool};

/// A notebook as stored: what the agent published and when the server stored it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedNotebook {
    pub notebook: AgentNotebook,
    /// When the server stored it, ms since the epoch (the notebook's own `updated_at_ms` is
    /// the agent's clock).
    pub updated_at_ms: i64,
}

#[derive(sqlx::FromRow)]
struct NotebookRow {
    body: String,
    updated_at_ms: i64,
}

impl Store {
    /// Stores `notebook` as `agent`'s, replacing the one before. An unknown agent is a
    /// foreign-key violation ([`StoreError::is_foreign_key_violation`]).
    pub async fn save_agent_notebook(
        &self,
        agent: AgentId,
        notebook: &AgentNotebook,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let body = serde_json::to_string(notebook)
            .map_err(|e| StoreError::Corrupt(format!("agent {agent}: notebook as JSON: {e}")))?;
        // One statement: nothing to read first, so no write transaction is needed.
        with_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO agent_notebooks (agent_id, body, updated_at_ms) VALUES ($1, $2, $3) \
                 ON CONFLICT (agent_id) DO UPDATE \
                 SET body = excluded.body, updated_at_ms = excluded.updated_at_ms",
            )
            .bind(id_to_db(agent.0))
            .bind(&body)
            .bind(now_ms)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The notebook `agent` last published; `None` when it never did (or is unknown).
    pub async fn find_agent_notebook(
        &self,
        agent: AgentId,
    ) -> Result<Option<PublishedNotebook>, StoreError> {
        let row: Option<NotebookRow> = with_pool!(self, pool => {
            sqlx::query_as("SELECT body, updated_at_ms FROM agent_notebooks WHERE agent_id = $1")
                .bind(id_to_db(agent.0))
                .fetch_optional(pool)
                .await?
        });
        row.map(|row| {
            let notebook = serde_json::from_str(&row.body).map_err(|e| {
                StoreError::Corrupt(format!("agent {agent}: bad notebook JSON: {e}"))
            })?;
            Ok(PublishedNotebook {
                notebook,
                updated_at_ms: row.updated_at_ms,
            })
        })
        .transpose()
    }
}
