//! The agent's tools inside its container: a shell command as root in its workspace
//! ([`shell`]), a file read or written in the workspace ([`files`]), an HTTP fetch through the
//! container's egress proxy ([`fetch`]; refused unless the tier allows egress and the runtime
//! gave the container a route out). The [`Toolbox`] runs a [`ToolRequest`], cuts and cleans its output, and reports the
//! call to the server's audit (`POST /agents/{id}/tool-calls`) **before** handing the result
//! back: a call the server did not record is never used. Calls run at most the tier's
//! `concurrent_tool_runs` at a time ([`Toolbox::run_all`]). Bounded: each run by its timeout,
//! each output by [`TOOL_OUTPUT_CHARS_MAX`]. Secrets never leave through a tool's output: any
//! village token in it is redacted ([`redact_tokens`]). This module decides nothing; the brains
//! ask for tools and the loop or the LLM brain runs them here.

pub mod fetch;
pub mod files;
pub mod shell;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use shared::AgentId;
use shared::tool_call::{
    TOOL_INPUT_CHARS_MAX, TOOL_OUTPUT_CHARS_MAX, ToolCallReport, ToolKind, ToolOutcome, clip_chars,
};

use super::client::{ApiClient, ClientError};
use shared::tier::Entitlements;

/// Longest a shell command may run before its whole process group is killed.
pub const SHELL_TIMEOUT: Duration = Duration::from_secs(20);
/// Reports of one call tried at most this many times when the server gives no answer (it
/// records a retry once, so trying again is safe).
const REPORT_ATTEMPTS_MAX: u32 = 2;
/// Tool calls one [`Toolbox::run_all`] runs; the rest are refused unrun.
pub const TOOL_CALLS_PER_BATCH_MAX: usize = 8;

/// What a brain asks a tool to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolRequest {
    /// A command for the shell (`/bin/bash`, else `/bin/sh`), run as root in the workspace.
    Shell { command: String },
    /// A file in the workspace (a relative path, or an absolute one inside it).
    ReadFile { path: String },
    /// A file written whole in the workspace (its folders made), through a rename.
    WriteFile { path: String, content: String },
    /// An HTTP GET of an `http://` or `https://` URL.
    HttpFetch { url: String },
}

impl ToolRequest {
    pub fn kind(&self) -> ToolKind {
        match self {
            ToolRequest::Shell { .. } => ToolKind::Shell,
            ToolRequest::ReadFile { .. } => ToolKind::ReadFile,
            ToolRequest::WriteFile { .. } => ToolKind::WriteFile,
            ToolRequest::HttpFetch { .. } => ToolKind::HttpFetch,
        }
    }

    /// What the audit shows as the call's input: the command, the path, or the URL.
    pub fn input(&self) -> &str {
        match self {
            ToolRequest::Shell { command } => command,
            ToolRequest::ReadFile { path } | ToolRequest::WriteFile { path, .. } => path,
            ToolRequest::HttpFetch { url } => url,
        }
    }
}

/// What a tool call did, as reported to the server and handed to the brain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolRun {
    /// The call's id, as recorded in the agent's transcript.
    pub call_id: String,
    pub tool: ToolKind,
    pub outcome: ToolOutcome,
    /// A shell command's exit code (none when it was killed or never ran).
    pub exit_code: Option<i32>,
    /// The start of the output (at most [`TOOL_OUTPUT_CHARS_MAX`] characters), tokens
    /// redacted; for a refusal, why.
    pub output: String,
    /// Bytes of output the tool produced in all.
    pub output_bytes: u64,
    pub duration_ms: u64,
}

/// What a tool produced before it is cut, cleaned and reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRun {
    pub outcome: ToolOutcome,
    pub exit_code: Option<i32>,
    pub output: String,
    pub output_bytes: u64,
}

impl RawRun {
    /// A call not run, and why.
    pub fn refused(why: impl Into<String>) -> RawRun {
        let output: String = why.into();
        RawRun {
            outcome: ToolOutcome::Refused,
            exit_code: None,
            output_bytes: output.len() as u64,
            output,
        }
    }
}

/// What the tier allows the tools, from the agent's entitlements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ToolLimits {
    /// Tool runs at the same time; 0: no tools at all.
    pub concurrent_runs: u32,
    /// Whether the container may reach outside the village.
    pub egress: bool,
}

impl ToolLimits {
    /// The limits of the tier in force, as the agent last perceived them.
    pub fn of(entitlements: &Entitlements) -> ToolLimits {
        ToolLimits {
            concurrent_runs: entitlements.concurrent_tool_runs,
            egress: entitlements.egress,
        }
    }
}

/// Runs tool calls in one workspace and reports each before its result is used. Cheap to
/// clone.
#[derive(Debug, Clone)]
pub struct Toolbox {
    workspace: PathBuf,
    shell_timeout: Duration,
    /// Tells this process's call ids from those of an earlier run that reached the same step.
    boot: String,
    /// The egress proxy URL the runtime gave the container, if its tier goes out.
    egress_proxy: Option<String>,
    /// Writes so far, shared by the clones: each write's temporary file is its own.
    writes: Arc<AtomicU64>,
}

impl Toolbox {
    /// Tools working in `workspace`.
    pub fn new(workspace: impl Into<PathBuf>) -> Toolbox {
        let started_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        Toolbox {
            workspace: workspace.into(),
            shell_timeout: SHELL_TIMEOUT,
            boot: format!("{:x}", started_ms % (1 << 40)),
            egress_proxy: None,
            writes: Arc::new(AtomicU64::new(0)),
        }
    }

    /// The same toolbox sending commands' and fetches' HTTP through `proxy` (the container's
    /// egress proxy URL).
    pub fn with_egress_proxy(mut self, proxy: Option<String>) -> Toolbox {
        self.egress_proxy = proxy;
        self
    }

    /// The same toolbox with another shell timeout (tests).
    pub fn with_shell_timeout(mut self, timeout: Duration) -> Toolbox {
        self.shell_timeout = timeout;
        self
    }

    pub fn workspace(&self) -> &Path {
        &self.workspace
    }

    /// The id of call `index` of step `step` of agent `me`: unique per agent, and the same
    /// when the report of that call is retried.
    pub fn call_id(&self, me: AgentId, step: u64, index: usize) -> String {
        format!("a{me}-s{step}-{index}-{}", self.boot)
    }

    /// The id of container tool call `index` the model asked for in round `round` of step
    /// `step`: distinct from [`Toolbox::call_id`]'s.
    pub fn model_call_id(&self, me: AgentId, step: u64, round: usize, index: usize) -> String {
        format!("a{me}-s{step}-m{round}.{index}-{}", self.boot)
    }

    /// Runs `request` (without reporting it): the raw result.
    pub async fn run_unreported(&self, request: &ToolRequest, limits: ToolLimits) -> RawRun {
        if limits.concurrent_runs == 0 {
            return RawRun::refused("the tier allows no tool runs");
        }
        match request {
            ToolRequest::Shell { command } => {
                let proxy = self.egress_proxy.as_deref();
                shell::run(command, &self.workspace, self.shell_timeout, proxy).await
            }
            ToolRequest::ReadFile { path } => files::read(&self.workspace, path).await,
            ToolRequest::WriteFile { path, content } => {
                let write = self.writes.fetch_add(1, Ordering::Relaxed);
                files::write(&self.workspace, path, content, write).await
            }
            ToolRequest::HttpFetch { .. } if !limits.egress => RawRun::refused(
                "the tier allows no egress: this container reaches only the village",
            ),
            ToolRequest::HttpFetch { url } => match &self.egress_proxy {
                Some(proxy) => fetch::run(url, &self.workspace, self.shell_timeout, proxy).await,
                // Without a route (network `none`): say so rather than try.
                None => {
                    RawRun::refused("no egress route: the runtime has not given this container one")
                }
            },
        }
    }

    /// Runs `request` as call `call_id`, reports it, and returns it once the server recorded
    /// it. A tier without tools runs nothing and reports nothing (the server would refuse).
    pub async fn run(
        &self,
        client: &ApiClient,
        call_id: String,
        request: &ToolRequest,
        limits: ToolLimits,
    ) -> Result<ToolRun, ClientError> {
        let started = Instant::now();
        let raw = self.run_unreported(request, limits).await;
        let run = finish(call_id, request.kind(), raw, started.elapsed());
        if limits.concurrent_runs == 0 {
            return Ok(run);
        }
        let report = ToolCallReport {
            call_id: run.call_id.clone(),
            tool: run.tool,
            input: input_for_report(request),
            cwd: self.workspace.display().to_string(),
            outcome: run.outcome,
            exit_code: run.exit_code,
            duration_ms: run.duration_ms,
            output: run.output.clone(),
            output_bytes: run.output_bytes,
        };
        let mut attempt = 1;
        loop {
            match client.report_tool_call(&report).await {
                Ok(_) => break,
                Err(error) if error.status().is_none() && attempt < REPORT_ATTEMPTS_MAX => {
                    attempt += 1;
                    tracing::debug!(call = %run.call_id, %error, "reporting a tool call again");
                }
                Err(error) => {
                    tracing::warn!(
                        call = %run.call_id, %error,
                        "a tool call was not recorded by the server; its result is not used"
                    );
                    return Err(error);
                }
            }
        }
        tracing::info!(
            call = %run.call_id, tool = run.tool.as_str(), outcome = run.outcome.as_str(),
            exit_code = ?run.exit_code, duration_ms = run.duration_ms, "tool call"
        );
        Ok(run)
    }

    /// Runs `calls` at most `limits.concurrent_runs` at a time (at most
    /// [`TOOL_CALLS_PER_BATCH_MAX`]; the rest are dropped), each reported as [`Toolbox::run`]
    /// does; the results in the order of `calls`.
    pub async fn run_all(
        &self,
        client: &ApiClient,
        calls: Vec<(String, ToolRequest)>,
        limits: ToolLimits,
    ) -> Vec<Result<ToolRun, ClientError>> {
        let at_once = usize::try_from(limits.concurrent_runs.max(1)).unwrap_or(1);
        futures_util::stream::iter(calls.into_iter().take(TOOL_CALLS_PER_BATCH_MAX))
            .map(|(call_id, request)| async move {
                self.run(client, call_id, &request, limits).await
            })
            .buffered(at_once)
            .collect()
            .await
    }
}

/// The input the audit keeps: the command, path or URL, cut to fit.
fn input_for_report(request: &ToolRequest) -> String {
    let input = request.input().replace('\0', "\u{FFFD}");
    let input = redact_tokens(&input);
    let input = clip_chars(&input, TOOL_INPUT_CHARS_MAX).to_string();
    if input.trim().is_empty() {
        // The server refuses an empty input; an empty command still ran and is recorded.
        "(empty)".to_string()
    } else {
        input
    }
}

/// The finished call: output without NULs or tokens, cut to [`TOOL_OUTPUT_CHARS_MAX`].
fn finish(call_id: String, tool: ToolKind, raw: RawRun, took: Duration) -> ToolRun {
    let cleaned = redact_tokens(&raw.output.replace('\0', "\u{FFFD}"));
    let output = clip_chars(&cleaned, TOOL_OUTPUT_CHARS_MAX).to_string();
    ToolRun {
        call_id,
        tool,
        outcome: raw.outcome,
        exit_code: raw.exit_code,
        output_bytes: raw.output_bytes,
        output,
        duration_ms: u64::try_from(took.as_millis()).unwrap_or(u64::MAX),
    }
}

/// The prefixes of the village's bearer secrets: agent tokens (an admin's, and the container
/// tokens the runtime fetches) and refresh tokens, each followed by 64 hex digits.
const TOKEN_PREFIXES: [&str; 3] = ["avt_", "avc_", "rft_"];
/// Hex digits after a token prefix.
const TOKEN_HEX_DIGITS: usize = 64;

/// `text` with every village token replaced by its prefix and `[redacted]`: the agent's shell
/// runs as root and could print the agent's own token, which must never reach a post.
pub fn redact_tokens(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((at, prefix)) = TOKEN_PREFIXES
        .iter()
        .filter_map(|p| rest.find(p).map(|at| (at, *p)))
        .min_by_key(|(at, _)| *at)
    {
        let after = &rest[at + prefix.len()..];
        let hex = after.bytes().take_while(u8::is_ascii_hexdigit).count();
        out.push_str(&rest[..at + prefix.len()]);
        if hex >= TOKEN_HEX_DIGITS {
            // Exactly the token's digits: a hex letter after it (`a` of a next `avt_`) stays.
            out.push_str("[redacted]");
            rest = &after[TOKEN_HEX_DIGITS..];
        } else {
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests;
