//! Queries on the `agents` table, one function per query.

use shared::{Activity, AgentId, AgentStatus, AgentView, Facing, TilePos};

use super::{Store, StoreError};
use crate::world::{AgentRecord, PositionUpdate};

/// An agent to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAgent {
    pub display_name: String,
    pub persona: String,
    pub home: Option<String>,
    /// Generated profile (interests, tone, schedule), stored as JSON.
    pub profile: serde_json::Value,
}

#[derive(sqlx::FromRow)]
struct AgentRow {
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

const AGENT_COLUMNS: &str = "id, display_name, persona, home, profile, pos_x, pos_y, facing, \
                             status, activity, last_seen_ms";

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
                id: AgentId(u64::try_from(self.id).map_err(|_| corrupt("bad id"))?),
                display_name: self.display_name,
                persona: self.persona,
                home: self.home,
                pos: pos.unwrap_or(TilePos::new(0, 0)),
                facing,
                status,
                activity,
                last_seen_ms: self.last_seen_ms,
            },
            has_position: pos.is_some(),
        };
        Ok((record, profile))
    }
}

impl Store {
    /// Creates an agent and returns it as stored (without a position: the world places it).
    /// A taken display name is a conflict.
    pub async fn insert_agent(
        &self,
        agent: &NewAgent,
        now_ms: i64,
    ) -> Result<AgentRecord, StoreError> {
        let sql = format!(
            "INSERT INTO agents (display_name, persona, home, profile, last_seen_ms, created_at_ms, \
             updated_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING {AGENT_COLUMNS}"
        );
        let row: AgentRow = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(&agent.display_name)
            .bind(&agent.persona)
            .bind(&agent.home)
            .bind(agent.profile.to_string())
            .bind(now_ms)
            .bind(now_ms)
            .bind(now_ms)
            .fetch_one(&self.pool)
            .await
            .map_err(|e| match &e {
                sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(
                    format!("an agent named {:?} already exists", agent.display_name),
                ),
                _ => StoreError::Database(e),
            })?;
        Ok(row.into_record()?.0)
    }

    /// Deletes an agent (used to undo a creation the world refused).
    pub async fn delete_agent(&self, id: AgentId) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM agents WHERE id = ?")
            .bind(id.0 as i64)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Every agent with its profile, by id.
    pub async fn list_agents(&self) -> Result<Vec<(AgentRecord, serde_json::Value)>, StoreError> {
        let sql = format!("SELECT {AGENT_COLUMNS} FROM agents ORDER BY id");
        let rows: Vec<AgentRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(AgentRow::into_record).collect()
    }

    /// How many agents exist.
    pub async fn count_agents(&self) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM agents")
            .fetch_one(&self.pool)
            .await?;
        Ok(count as u64)
    }

    /// Writes positions and statuses in one transaction; agents deleted meanwhile are skipped.
    pub async fn save_positions(
        &self,
        updates: &[PositionUpdate],
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        for u in updates {
            let activity = serde_json::to_string(&u.activity)
                .map_err(|e| StoreError::Corrupt(format!("activity of agent {}: {e}", u.id)))?;
            sqlx::query(
                "UPDATE agents SET pos_x = ?, pos_y = ?, facing = ?, status = ?, activity = ?, \
                 last_seen_ms = ?, updated_at_ms = ? WHERE id = ?",
            )
            .bind(i64::from(u.pos.x))
            .bind(i64::from(u.pos.y))
            .bind(u.facing.as_str())
            .bind(u.status.as_str())
            .bind(activity)
            .bind(u.last_seen_ms)
            .bind(now_ms)
            .bind(u.id.0 as i64)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
