//! Queries on `agent_tool_calls`, one function per query: the tool calls agents report from
//! their containers, each written with its audit entry in one transaction, and read back as an
//! agent's transcript, newest first. Append-only; a retried report is found, not written twice.

use shared::AgentId;
use shared::tool_call::{ToolCallRecord, ToolCallReport, ToolKind, ToolOutcome};

use super::audit::AuditEntry;
use super::write_steps::WriteSteps;
use super::write_transaction::BeginWrite;
use super::{Store, StoreError, id_from_db, id_to_db, with_pool};

#[derive(sqlx::FromRow)]
struct ToolCallRow {
    id: i64,
    agent_id: i64,
    call_id: String,
    at_ms: i64,
    tool: String,
    input: String,
    cwd: String,
    outcome: String,
    exit_code: Option<i64>,
    duration_ms: i64,
    output: String,
    output_bytes: i64,
}

const TOOL_CALL_COLUMNS: &str = "id, agent_id, call_id, at_ms, tool, input, cwd, outcome, \
                                 exit_code, duration_ms, output, output_bytes";

impl ToolCallRow {
    fn into_record(self) -> Result<ToolCallRecord, StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("tool call {}: {what}", self.id));
        let tool = ToolKind::parse(&self.tool).ok_or_else(|| corrupt("bad tool"))?;
        let outcome = ToolOutcome::parse(&self.outcome).ok_or_else(|| corrupt("bad outcome"))?;
        let exit_code = match self.exit_code {
            Some(code) => Some(i32::try_from(code).map_err(|_| corrupt("bad exit code"))?),
            None => None,
        };
        Ok(ToolCallRecord {
            id: id_from_db(self.id, "tool call")?,
            agent_id: AgentId(id_from_db(self.agent_id, "agent")?),
            at_ms: self.at_ms,
            report: ToolCallReport {
                call_id: self.call_id,
                tool,
                input: self.input,
                cwd: self.cwd,
                outcome,
                exit_code,
                duration_ms: u64::try_from(self.duration_ms)
                    .map_err(|_| corrupt("bad duration"))?,
                output: self.output,
                output_bytes: u64::try_from(self.output_bytes)
                    .map_err(|_| corrupt("bad output size"))?,
            },
        })
    }
}

impl Store {
    /// Records `report` for `agent` with its audit entry, in one transaction, and returns its
    /// id and whether it was already recorded (a retry: same agent and call id, same call).
    /// The same call id with another call is a [`StoreError::Conflict`]; an unknown agent a
    /// foreign-key violation.
    pub async fn record_tool_call(
        &self,
        agent: AgentId,
        report: &ToolCallReport,
        audit: &AuditEntry,
        at_ms: i64,
    ) -> Result<(u64, bool), StoreError> {
        let duration = i64::try_from(report.duration_ms).unwrap_or(i64::MAX);
        let bytes = i64::try_from(report.output_bytes).unwrap_or(i64::MAX);
        let inserted: Option<i64> = with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let id: Option<i64> = sqlx::query_scalar(
                "INSERT INTO agent_tool_calls (agent_id, call_id, at_ms, tool, input, cwd, \
                 outcome, exit_code, duration_ms, output, output_bytes) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                 ON CONFLICT (agent_id, call_id) DO NOTHING RETURNING id",
            )
            .bind(id_to_db(agent.0))
            .bind(&report.call_id)
            .bind(at_ms)
            .bind(report.tool.as_str())
            .bind(&report.input)
            .bind(&report.cwd)
            .bind(report.outcome.as_str())
            .bind(report.exit_code.map(i64::from))
            .bind(duration)
            .bind(&report.output)
            .bind(bytes)
            .fetch_optional(&mut *tx)
            .await?;
            if id.is_some() {
                WriteSteps::insert_audit(&mut *tx, audit, at_ms).await?;
            }
            tx.commit().await?;
            id
        });
        if let Some(id) = inserted {
            return Ok((id_from_db(id, "tool call")?, false));
        }
        let earlier = self.find_tool_call(agent, &report.call_id).await?;
        match earlier {
            Some(earlier) if earlier.report == *report => Ok((earlier.id, true)),
            _ => Err(StoreError::Conflict(format!(
                "call id {:?} was already reported for another call",
                report.call_id
            ))),
        }
    }

    /// The call `call_id` of `agent`, if it was recorded.
    pub async fn find_tool_call(
        &self,
        agent: AgentId,
        call_id: &str,
    ) -> Result<Option<ToolCallRecord>, StoreError> {
        let sql = format!(
            "SELECT {TOOL_CALL_COLUMNS} FROM agent_tool_calls WHERE agent_id = $1 AND call_id = $2"
        );
        let row: Option<ToolCallRow> = with_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id_to_db(agent.0))
                .bind(call_id)
                .fetch_optional(pool)
                .await?
        });
        row.map(ToolCallRow::into_record).transpose()
    }

    /// Up to `limit` calls of `agent`, newest first, older than `before_id` when given.
    pub async fn list_tool_calls(
        &self,
        agent: AgentId,
        before_id: Option<u64>,
        limit: u32,
    ) -> Result<Vec<ToolCallRecord>, StoreError> {
        let sql = format!(
            "SELECT {TOOL_CALL_COLUMNS} FROM agent_tool_calls WHERE agent_id = $1 \
             AND ($2 IS NULL OR id < $2) ORDER BY id DESC LIMIT $3"
        );
        let rows: Vec<ToolCallRow> = with_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id_to_db(agent.0))
                .bind(before_id.map(id_to_db))
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(ToolCallRow::into_record).collect()
    }
}
