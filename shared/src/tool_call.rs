//! A tool call an agent made inside its container (a shell command, a file read or written in
//! its workspace, an HTTP fetch), as the agent reports it to the server's audit before it uses
//! the result (`POST /agents/{id}/tool-calls`) and as the transcript lists it
//! (`GET /agents/{id}/tool-calls`). Shared so the agent writes and the server checks the very
//! same type and limits. Plain data: the checks that need a clock or a store are the server's.

use serde::{Deserialize, Serialize};

use crate::ids::AgentId;

/// Longest call id: the agent's own name for the call, unique per agent (a retried report of
/// the same call is recorded once).
pub const TOOL_CALL_ID_CHARS_MAX: usize = 64;
/// Longest input kept: the command, the path, or the URL.
pub const TOOL_INPUT_CHARS_MAX: usize = 2_000;
/// Longest working directory.
pub const TOOL_CWD_CHARS_MAX: usize = 256;
/// Longest output kept: the start of what the tool printed or read (the agent cuts it).
pub const TOOL_OUTPUT_CHARS_MAX: usize = 4_000;
/// Longest duration a report may claim: a day, in milliseconds.
pub const TOOL_DURATION_MS_MAX: u64 = 86_400_000;

/// Which tool ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ToolKind {
    /// A shell command, as root, in the agent's workspace.
    Shell,
    /// A file read from the workspace.
    ReadFile,
    /// A file written into the workspace.
    WriteFile,
    /// An HTTP GET through the runtime's egress proxy.
    HttpFetch,
}

impl ToolKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ToolKind::Shell => "shell",
            ToolKind::ReadFile => "read_file",
            ToolKind::WriteFile => "write_file",
            ToolKind::HttpFetch => "http_fetch",
        }
    }

    pub fn parse(s: &str) -> Option<ToolKind> {
        [
            ToolKind::Shell,
            ToolKind::ReadFile,
            ToolKind::WriteFile,
            ToolKind::HttpFetch,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// How a tool call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ToolOutcome {
    /// It ran and succeeded (a shell command exited 0, a file was read or written).
    Ok,
    /// It ran and failed (a non-zero exit, a missing file, an HTTP error).
    Failed,
    /// It ran out of time and was killed.
    TimedOut,
    /// It was not run: not allowed (no egress, a path outside the workspace, no tools in the
    /// tier) or malformed.
    Refused,
}

impl ToolOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            ToolOutcome::Ok => "ok",
            ToolOutcome::Failed => "failed",
            ToolOutcome::TimedOut => "timed_out",
            ToolOutcome::Refused => "refused",
        }
    }

    pub fn parse(s: &str) -> Option<ToolOutcome> {
        [
            ToolOutcome::Ok,
            ToolOutcome::Failed,
            ToolOutcome::TimedOut,
            ToolOutcome::Refused,
        ]
        .into_iter()
        .find(|o| o.as_str() == s)
    }
}

/// One call as the agent reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ToolCallReport {
    /// The agent's id for the call: `[A-Za-z0-9_.:-]`, 1 to [`TOOL_CALL_ID_CHARS_MAX`] (64).
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 64, pattern = "^[A-Za-z0-9_.:-]{1,64}$")
    )]
    pub call_id: String,
    pub tool: ToolKind,
    /// The command, the path, or the URL; 1 to [`TOOL_INPUT_CHARS_MAX`] (2000) characters, not
    /// blank, no NUL.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 2000, pattern = "^[^\\u0000]*$")
    )]
    pub input: String,
    /// The working directory (shell) or the workspace; at most [`TOOL_CWD_CHARS_MAX`] (256)
    /// characters, no NUL.
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 256, pattern = "^[^\\u0000]*$")
    )]
    pub cwd: String,
    pub outcome: ToolOutcome,
    /// A shell command's exit code, or an HTTP status.
    pub exit_code: Option<i32>,
    /// How long it ran, at most [`TOOL_DURATION_MS_MAX`] (a day).
    #[cfg_attr(feature = "openapi", schema(maximum = 86400000))]
    pub duration_ms: u64,
    /// The start of its output (stdout then stderr, the file's text, the response body), at
    /// most [`TOOL_OUTPUT_CHARS_MAX`] (4000) characters, no NUL; the agent cuts it.
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 4000, pattern = "^[^\\u0000]*$")
    )]
    pub output: String,
    /// How many bytes of output the tool produced in all (more than `output` when cut).
    pub output_bytes: u64,
}

/// What the server answers a report: the recorded call's id, and whether this report was a
/// retry of one already recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ToolCallRecorded {
    pub id: u64,
    pub replayed: bool,
}

/// A recorded call, as the transcript lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ToolCallRecord {
    pub id: u64,
    pub agent_id: AgentId,
    /// When the server recorded it (ms since the epoch).
    pub at_ms: i64,
    #[serde(flatten)]
    pub report: ToolCallReport,
}

/// Whether `id` is a well-formed call id.
pub fn valid_call_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= TOOL_CALL_ID_CHARS_MAX
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-'))
}

/// The first `max` characters of `text` (never splitting a character).
pub fn clip_chars(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        // Every kind and outcome parses back from its name; anything else is None.
        for kind in [
            ToolKind::Shell,
            ToolKind::ReadFile,
            ToolKind::WriteFile,
            ToolKind::HttpFetch,
        ] {
            assert_eq!(ToolKind::parse(kind.as_str()), Some(kind));
        }
        for outcome in [
            ToolOutcome::Ok,
            ToolOutcome::Failed,
            ToolOutcome::TimedOut,
            ToolOutcome::Refused,
        ] {
            assert_eq!(ToolOutcome::parse(outcome.as_str()), Some(outcome));
        }
        assert_eq!(ToolKind::parse("exec"), None);
        assert_eq!(ToolOutcome::parse("OK"), None);
    }

    #[test]
    fn call_ids_are_short_and_plain() {
        // Letters, digits and `_.:-` only, 1 to 64 of them.
        assert!(valid_call_id("a7-s12-0"));
        assert!(valid_call_id(&"x".repeat(TOOL_CALL_ID_CHARS_MAX)));
        assert!(!valid_call_id(""));
        assert!(!valid_call_id(&"x".repeat(TOOL_CALL_ID_CHARS_MAX + 1)));
        assert!(!valid_call_id("a b"));
        assert!(!valid_call_id("a/b"));
        assert!(!valid_call_id("é"));
    }

    #[test]
    fn clipping_keeps_whole_characters() {
        // A cut never splits a multi-byte character, and short texts are kept whole.
        assert_eq!(clip_chars("héllo", 2), "hé");
        assert_eq!(clip_chars("héllo", 10), "héllo");
        assert_eq!(clip_chars("", 3), "");
    }
}
