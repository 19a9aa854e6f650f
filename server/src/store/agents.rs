//! Queries on the `agents` table, one function per query. The row insert, which creating an
//! agent with or without its account shares, is `WriteSteps::insert_agent_row`
//! (`write_steps.rs`).

use shared::{Activity, AgentId, AgentStatus, AgentView, Facing, TilePos};

use super::audit::AuditEntry;
use super::write_steps::WriteSteps;
use super::write_transaction::BeginWrite;
use super::{Store, StoreError, id_from_db, id_to_db, with_pool};
use crate::world::{AgentRecord, PositionUpdate};

/// An agent to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAgent {
    pub display_name: String,
    pub persona: String,
    pub home: Option<String>,
    /// Generated profile (interests, tone, schedule), stored as JSON.
    pub profile: serde_json::Value,
    /// What decides its actions in its container.
    pub brain: shared::runtime::AgentBrain,
}

/// An agent row as stored; [`WriteSteps::insert_agent_row`] returns one.
#[derive(sqlx::FromRow)]
pub(super) struct AgentRow {
    id: i64,
    display_name: String,
    persona: String,
    home: Option<String>,
    profile: String,
    pos_x: Option<i64>,
    pos_y: Option<i64>,
    facing: String,
    status: String,
    activity: String,
    last_seen_ms: i64,
}

pub(super) const AGENT_COLUMNS: &str = "id, display_name, persona, home, profile, pos_x, \
                                         pos_y, facing, status, activity, last_seen_ms";

impl AgentRow {
    fn into_record(self) -> Result<(AgentRecord, serde_json::Value), StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("agent {}: {what}", self.id));
        let facing = Facing::parse(&self.facing).ok_or_else(|| corrupt("bad facing"))?;
        let status = AgentStatus::parse(&self.status).ok_or_else(|| corrupt("bad status"))?;
        let activity: Activity =
            serde_json::from_str(&self.activity).map_err(|_| corrupt("bad activity JSON"))?;
        let profile =
            serde_json::from_str(&self.profile).map_err(|_| corrupt("bad profile JSON"))?;
        let pos = match (self.pos_x, self.pos_y) {
            (Some(x), Some(y)) => Some(TilePos::new(
                u16::try_from(x).map_err(|_| corrupt("bad x"))?,
                u16::try_from(y).map_err(|_| corrupt("bad y"))?,
            )),
            _ => None,
        };
        let record = AgentRecord {
            view: AgentView {
                id: AgentId(id_from_db(self.id, "agent")?),
                display_name: self.display_name,
                persona: self.persona,
                home: self.home,
                pos: pos.unwrap_or(TilePos::new(0, 0)),
                facing,
                status,
                activity,
                last_seen_ms: self.last_seen_ms,
                // The store keeps no tiers: whoever places the agent in the world sets the
                // tier in force from the tier book (`TierBook::tier_name`).
                tier: String::new(),
            },
            has_position: pos.is_some(),
        };
        Ok((record, profile))
    }
}

/// A taken display name is a conflict; other errors pass through.
fn name_taken(error: sqlx::Error, agent: &NewAgent) -> StoreError {
    StoreError::conflict_on_unique(error, || {
        format!("an agent named {:?} already exists", agent.display_name)
    })
}

impl Store {
    /// Creates an agent and returns it as stored (without a position: the world places it).
    /// A taken display name is a conflict.
    pub async fn insert_agent(
        &self,
        agent: &NewAgent,
        now_ms: i64,
    ) -> Result<AgentRecord, StoreError> {
        let row: AgentRow =
            with_pool!(self, pool => WriteSteps::insert_agent_row(pool, agent, now_ms).await)
                .map_err(|e| name_taken(e, agent))?;
        Ok(row.into_record()?.0)
    }

    /// Creates an agent together with its account (which holds only its token's hash) and the
    /// audit entry, in one transaction; returns the agent and the account id.
    pub async fn insert_agent_with_account(
        &self,
        agent: &NewAgent,
        token_hash: &str,
        audit: &AuditEntry,
        now_ms: i64,
    ) -> Result<(AgentRecord, u64), StoreError> {
        let result: Result<(AgentRow, i64), sqlx::Error> = with_pool!(self, pool => {
            async {
                let mut tx = pool.begin_write().await?;
                let row: AgentRow = WriteSteps::insert_agent_row(&mut *tx, agent, now_ms).await?;
                let account =
                    WriteSteps::insert_agent_account(&mut *tx, row.id, token_hash, now_ms).await?;
                let mut audit = audit.clone();
                audit.target = format!("agent:{}", row.id);
                WriteSteps::insert_audit(&mut *tx, &audit, now_ms).await?;
                tx.commit().await?;
                Ok((row, account))
            }
            .await
        });
        let (row, account) = result.map_err(|e| name_taken(e, agent))?;
        Ok((row.into_record()?.0, id_from_db(account, "account")?))
    }

    /// Deletes an agent and its account, if any, with the audit entry saying why (undoing a
    /// creation the world refused).
    pub async fn delete_agent_with_account(
        &self,
        id: AgentId,
        audit: &AuditEntry,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("DELETE FROM accounts WHERE agent_id = $1")
                .bind(id_to_db(id.0))
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM agents WHERE id = $1")
                .bind(id_to_db(id.0))
                .execute(&mut *tx)
                .await?;
            WriteSteps::insert_audit(&mut *tx, audit, now_ms).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Every agent with its profile, by id.
    pub async fn list_agents(&self) -> Result<Vec<(AgentRecord, serde_json::Value)>, StoreError> {
        let sql = format!("SELECT {AGENT_COLUMNS} FROM agents ORDER BY id");
        let rows: Vec<AgentRow> = with_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await?
        });
        rows.into_iter().map(AgentRow::into_record).collect()
    }

    /// The agents whose brain is not the default (scripted), by id.
    pub async fn list_agent_brains(
        &self,
    ) -> Result<std::collections::HashMap<AgentId, shared::runtime::AgentBrain>, StoreError> {
        let rows: Vec<(i64, String)> = with_pool!(self, pool => {
            sqlx::query_as("SELECT id, brain FROM agents WHERE brain <> 'scripted'")
                .fetch_all(pool)
                .await?
        });
        rows.into_iter()
            .map(|(id, brain)| {
                let brain = shared::runtime::AgentBrain::parse(&brain).ok_or_else(|| {
                    StoreError::Corrupt(format!("agent {id}: bad brain {brain:?}"))
                })?;
                Ok((AgentId(id_from_db(id, "agent")?), brain))
            })
            .collect()
    }

    /// How many agents exist.
    pub async fn count_agents(&self) -> Result<u64, StoreError> {
        let count: i64 = with_pool!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM agents").fetch_one(pool).await?
        });
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// Writes positions and statuses in one transaction; agents deleted meanwhile are skipped.
    pub async fn save_positions(
        &self,
        updates: &[PositionUpdate],
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let mut rows = Vec::with_capacity(updates.len());
        for u in updates {
            let activity = serde_json::to_string(&u.activity)
                .map_err(|e| StoreError::Corrupt(format!("activity of agent {}: {e}", u.id)))?;
            rows.push((u, activity));
        }
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            for (u, activity) in &rows {
                sqlx::query(
                    "UPDATE agents SET pos_x = $1, pos_y = $2, facing = $3, status = $4, \
                     activity = $5, last_seen_ms = $6, updated_at_ms = $7 WHERE id = $8",
                )
                .bind(i64::from(u.pos.x))
                .bind(i64::from(u.pos.y))
                .bind(u.facing.as_str())
                .bind(u.status.as_str())
                .bind(activity)
                .bind(u.last_seen_ms)
                .bind(now_ms)
                .bind(id_to_db(u.id.0))
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }
}
