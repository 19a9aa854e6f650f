//! An agent's tool calls: recording each call it made in its container before it uses the
//! result, and reading its transcript. A report is checked whole (a [`ToolCallError`] naming
//! the field, nothing stored) and stored with an `agent.tool_call` audit entry in one
//! transaction. When the agent's tier allows no tools the call, which has run, is still
//! recorded, its audit entry `denied`, and the agent is refused its result. A retried report
//! of the same call answers the first record; the same call id with another call is refused.
//! The server never runs anything.

use shared::AgentId;
use shared::api::{ToolCallPage, ToolCallQuery};
use shared::tier::TierTable;
use shared::tool_call::{
    TOOL_CALL_ID_CHARS_MAX, TOOL_CWD_CHARS_MAX, TOOL_DURATION_MS_MAX, TOOL_INPUT_CHARS_MAX,
    TOOL_OUTPUT_CHARS_MAX, ToolCallRecorded, ToolCallReport, clip_chars, valid_call_id,
};

use crate::auth::principal::AccessError;
use crate::auth::{Principal, Role};
use crate::board::rules::{self, BoardError};
use crate::clock::now_ms;
use crate::economy::TierBook;
use crate::paging::next_cursor;
use crate::store::{Store, StoreError};
use crate::world::WorldHandle;

/// Calls per transcript page, at most.
pub const TOOL_CALL_PAGE_MAX: u32 = 100;
/// Calls per transcript page when the query names no limit.
const TOOL_CALL_PAGE_DEFAULT: u32 = 50;
/// Characters of the input quoted in the audit entry's detail.
const AUDIT_INPUT_CHARS_MAX: usize = 200;

/// Why a report or a transcript read was refused.
#[derive(Debug, thiserror::Error)]
pub enum ToolCallError {
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error("{0}")]
    InvalidField(String),
    #[error("{0}")]
    CallIdReused(String),
    #[error("the tier {0} allows no tool runs (the call is recorded as denied)")]
    ToolsNotAllowed(String),
    #[error(transparent)]
    Board(#[from] BoardError),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for ToolCallError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict(message) => ToolCallError::CallIdReused(message),
            other => ToolCallError::Store(other),
        }
    }
}

/// What recording and reading tool calls use (`AppState::transcripts`).
pub struct Transcripts<'a> {
    pub store: &'a Store,
    pub world: &'a WorldHandle,
    pub tiers: &'a TierTable,
    pub tier_book: &'a TierBook,
}

impl Transcripts<'_> {
    /// Records one tool call `agent` reports (only the agent itself may).
    pub async fn record(
        &self,
        principal: &Principal,
        agent: AgentId,
        report: &ToolCallReport,
    ) -> Result<ToolCallRecorded, ToolCallError> {
        principal.require(&[Role::Agent])?;
        principal.require_agent(agent)?;
        check_report(report)?;
        let now = now_ms();
        // The call has run already: it is recorded whatever the tier says, and a tier that
        // allows no tools marks it denied in the audit and refuses the agent its result.
        let tier = self.tiers.get(self.tier_book.tier(agent, now));
        let allowed = tier.entitlements.concurrent_tool_runs > 0;
        let outcome = if allowed { "ok" } else { "denied" };
        let target = format!("agent:{agent}");
        let audit = principal.audit("agent.tool_call", target, outcome, audit_detail(report));
        let (id, replayed) = self
            .store
            .record_tool_call(agent, report, &audit, now)
            .await?;
        if !allowed {
            return Err(ToolCallError::ToolsNotAllowed(tier.name.clone()));
        }
        Ok(ToolCallRecorded { id, replayed })
    }

    /// A page of `agent`'s tool calls, newest first: for the agent itself and staff.
    pub async fn page(
        &self,
        principal: &Principal,
        agent: AgentId,
        query: ToolCallQuery,
    ) -> Result<ToolCallPage, ToolCallError> {
        principal.require_agent_or_staff(agent)?;
        rules::agent_exists(self.world, agent).await?;
        let limit = query
            .limit
            .unwrap_or(TOOL_CALL_PAGE_DEFAULT)
            .clamp(1, TOOL_CALL_PAGE_MAX);
        let calls = self
            .store
            .list_tool_calls(agent, query.cursor, limit)
            .await
            .map_err(ToolCallError::Store)?;
        let next_cursor = next_cursor(&calls, limit, |c| c.id);
        Ok(ToolCallPage {
            agent_id: agent,
            calls,
            next_cursor,
        })
    }
}

/// The audit entry's detail: what ran and how it ended, with the start of its input.
fn audit_detail(report: &ToolCallReport) -> String {
    format!(
        "{} {}: {} exit {} in {} ms, {} output bytes: {}",
        report.tool.as_str(),
        report.call_id,
        report.outcome.as_str(),
        report.exit_code.map_or("-".to_string(), |c| c.to_string()),
        report.duration_ms,
        report.output_bytes,
        clip_chars(&report.input, AUDIT_INPUT_CHARS_MAX),
    )
}

/// The first field of `report` that breaks a limit.
fn check_report(report: &ToolCallReport) -> Result<(), ToolCallError> {
    let invalid = |message: String| Err(ToolCallError::InvalidField(message));
    if !valid_call_id(&report.call_id) {
        return invalid(format!(
            "call_id must be 1 to {TOOL_CALL_ID_CHARS_MAX} of letters, digits and _.:-"
        ));
    }
    let fields = [
        ("input", &report.input, TOOL_INPUT_CHARS_MAX, true),
        ("cwd", &report.cwd, TOOL_CWD_CHARS_MAX, false),
        ("output", &report.output, TOOL_OUTPUT_CHARS_MAX, false),
    ];
    for (name, text, max, required) in fields {
        let chars = text.chars().count();
        if required && text.trim().is_empty() {
            return invalid(format!("{name} must not be empty"));
        }
        if chars > max {
            return invalid(format!(
                "{name} is {chars} characters; at most {max} are allowed"
            ));
        }
        // Neither database keeps a NUL in text; the agent replaces them before reporting.
        if text.contains('\0') {
            return invalid(format!("{name} must not contain NUL characters"));
        }
    }
    if report.duration_ms > TOOL_DURATION_MS_MAX {
        return invalid(format!(
            "duration_ms is {}; at most {TOOL_DURATION_MS_MAX} is allowed",
            report.duration_ms
        ));
    }
    Ok(())
}
