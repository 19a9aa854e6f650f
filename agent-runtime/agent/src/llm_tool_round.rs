//! One round of container tools in the LLM brain's turn: the model asked for shell or file
//! calls; they run (at most the tier's `concurrent_tool_runs` at a time), each is recorded in
//! the server's audit before its result is used, and the model gets its own answer back with
//! one `tool` message per call it made, so it can go on in the same turn. Actions it called
//! alongside are only acknowledged here; the loop carries them out after the turn. This file
//! must not decide anything or call the gateway: the brain does.

use std::collections::HashMap;

use shared::AgentId;
use shared::tool_call::ToolOutcome;

use super::brain::DecideAct;
use super::client::{ApiClient, ClientError};
use super::llm_tools::{ToolCallsRead, echo_tool_calls};
use super::openai::{ChatCompletion, ChatMessage};
use super::tools::{ToolLimits, ToolRequest, ToolRun, Toolbox};

/// What an acknowledged action call is told: it runs after the turn.
const ACTION_NOTED: &str = "Noted: actions are carried out in order after this turn (a call with bad arguments is dropped).";

/// The messages to send back, what the round did, and its API requests.
#[derive(Debug, Default)]
pub(super) struct ToolRound {
    pub messages: Vec<ChatMessage>,
    pub acts: Vec<DecideAct>,
    pub requests: u32,
    /// One line per container call: what ran and what came of it (for the task book).
    pub lines: Vec<String>,
}

/// Which turn of which agent the round belongs to.
#[derive(Debug, Clone, Copy)]
pub(super) struct Turn {
    pub me: AgentId,
    pub step: u64,
    pub round: usize,
    pub limits: ToolLimits,
}

/// Runs the container calls of `read` (from `completion`) and builds the reply to the model.
pub(super) async fn run_tool_round(
    toolbox: &Toolbox,
    client: &ApiClient,
    completion: &ChatCompletion,
    read: &ToolCallsRead,
    turn: Turn,
) -> ToolRound {
    let echoed = echo_tool_calls(completion);
    let content = completion
        .choices
        .first()
        .and_then(|c| c.message.content.clone())
        .unwrap_or_default();
    let mut round = ToolRound::default();
    round.messages.push(ChatMessage {
        role: "assistant",
        content,
        tool_calls: echoed.clone(),
        tool_call_id: None,
    });
    let calls = read
        .workspace
        .iter()
        .enumerate()
        .map(|(index, call)| {
            let id = toolbox.model_call_id(turn.me, turn.step, turn.round, index);
            (id, call.request.clone())
        })
        .collect();
    let results = toolbox.run_all(client, calls, turn.limits).await;
    if turn.limits.concurrent_runs > 0 {
        round.requests = u32::try_from(results.len()).unwrap_or(u32::MAX);
    }
    let mut answers: HashMap<&str, String> = HashMap::new();
    for (call, result) in read.workspace.iter().zip(&results) {
        let kind = call.request.kind().as_str();
        let error = match result {
            Ok(run) if run.outcome == ToolOutcome::Ok => None,
            Ok(run) => Some(run.outcome.as_str().to_string()),
            Err(error) => Some(error.code().to_string()),
        };
        round.acts.push(DecideAct { kind, error });
        round.lines.push(work_line(&call.request, result));
        answers.insert(call.id.as_str(), tool_answer(result));
    }
    for call in &echoed {
        let id = call["id"].as_str().unwrap_or_default().to_string();
        let content = answers
            .remove(id.as_str())
            .unwrap_or_else(|| ACTION_NOTED.to_string());
        round.messages.push(ChatMessage {
            role: "tool",
            content,
            tool_calls: Vec::new(),
            tool_call_id: Some(id),
        });
    }
    round
}

/// Characters of a call's input and output a work line keeps.
const WORK_INPUT_CHARS_MAX: usize = 100;
const WORK_OUTPUT_CHARS_MAX: usize = 140;

/// A call in one line: `shell `wc -w notes.txt` → ok, exit 0: 3 notes.txt`.
fn work_line(request: &ToolRequest, result: &Result<ToolRun, ClientError>) -> String {
    let squeeze = |text: &str, max: usize| -> String {
        let one: Vec<&str> = text.split_whitespace().collect();
        one.join(" ").chars().take(max).collect()
    };
    let input = squeeze(request.input(), WORK_INPUT_CHARS_MAX);
    let what = match result {
        Ok(run) => format!(
            "{}, exit {}: {}",
            run.outcome.as_str(),
            run.exit_code.map_or("none".to_string(), |c| c.to_string()),
            squeeze(&run.output, WORK_OUTPUT_CHARS_MAX)
        ),
        Err(error) => format!("not recorded ({})", error.code()),
    };
    format!("{} `{input}` → {what}", request.kind().as_str())
}

/// What the model is told a container call did: its outcome, exit code and output, and
/// nothing it could mistake for a file name (a small model given the call's id in its
/// transcript read it back as a file: measured in the operator benchmark).
fn tool_answer(result: &Result<ToolRun, ClientError>) -> String {
    match result {
        Ok(run) => {
            let exit = run.exit_code.map_or("none".to_string(), |c| c.to_string());
            let cut = if run.output_bytes > run.output.len() as u64 {
                format!(" (the start of {} bytes)", run.output_bytes)
            } else {
                String::new()
            };
            let output = if run.output.trim().is_empty() {
                "(none)"
            } else {
                run.output.as_str()
            };
            format!(
                "{}, exit code {exit}. Output{cut}:\n{output}",
                run.outcome.as_str()
            )
        }
        Err(error) => format!(
            "not used: the village did not record this call ({}), so its result is withheld",
            error.code()
        ),
    }
}
