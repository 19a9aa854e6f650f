//! The LLM brain's turn on a task (a task chat, or a post addressed to the agent): the model
//! sees who it is, what its task book says it did, and the conversation; it may run the
//! container's tools (their results come back within the turn) for up to the turn's calls,
//! and ends with `answer`, whose `status` says where the task stands: a clarifying
//! `question`, `progress` (it goes on next turn), `done` or `failed`. The last call offers
//! `answer` alone, and the task's last turn takes `progress` away, so a task always ends
//! settled within its budget. No call's prompt passes
//! [`PROMPT_TOKENS_MAX`](super::task_prompt::PROMPT_TOKENS_MAX): when tool results would push
//! it past, they are cut and the next call is the answer. This file runs the turn and reads
//! the answer; the brain picks the task, owns the pause after failures and turns the answer
//! into a message or a reply.

use serde_json::{Value, json};
use shared::AgentView;
use shared::api::notebook::{NotebookTask, TaskState};

use super::brain::{DecideAct, Decision};
use super::client::{ApiClient, ClientError};
use super::llm_brain::COMPLETION_TOKENS_MAX;
use super::llm_tool_round::{Turn, run_tool_round};
use super::llm_tools::{arguments, function, read_tool_calls, workspace_tool_definitions};
use super::openai::{ChatCompletion, ChatMessage, ChatRequest, ToolDefinition};
use super::task_ask::TaskAsk;
use super::task_book::TurnRecord;
use super::task_prompt::{
    estimated_tool_tokens, fit_tool_results, task_prompt, task_system_prompt,
};
use super::tools::{ToolLimits, Toolbox};

/// Model calls in one turn, the last of them for the answer.
pub const TURN_CALLS_MAX: u32 = 4;
/// Longest answer sent, in characters (the server takes up to 4,000 by default).
pub const ANSWER_CHARS_MAX: usize = 3_000;
/// Tokens kept free for the answer call's own growth (the model's previous call).
const ANSWER_RESERVE_TOKENS: usize = 600;
/// The tool that ends the turn.
const ANSWER: &str = "answer";

/// The tools of a task turn: the container's, then `answer`; `answer` alone; and `answer`
/// without `progress`, for the task's last turn.
#[derive(Debug, Clone)]
pub struct TaskTools {
    pub all: Vec<ToolDefinition>,
    pub answer_only: Vec<ToolDefinition>,
    pub settling: Vec<ToolDefinition>,
}

fn answer_tool(statuses: &[&str]) -> ToolDefinition {
    function(
        ANSWER,
        "Write to the person: a clarifying question, what you did and its result (the \
         output, the files and their contents), or plainly what failed or cannot be done. \
         status: question, progress (you go on next turn), done or failed.",
        json!({"type": "object", "additionalProperties": false,
            "properties": {
                "text": {"type": "string", "minLength": 1, "maxLength": ANSWER_CHARS_MAX},
                "status": {"type": "string", "enum": statuses}},
            "required": ["text", "status"]}),
    )
}

impl TaskTools {
    /// With `workspace`, the container's tools come first.
    pub fn new(workspace: bool) -> TaskTools {
        let answer = answer_tool(&["question", "progress", "done", "failed"]);
        let mut all = if workspace {
            workspace_tool_definitions()
        } else {
            Vec::new()
        };
        all.push(answer.clone());
        TaskTools {
            all,
            answer_only: vec![answer],
            settling: vec![answer_tool(&["question", "done", "failed"])],
        }
    }
}

/// What the turn needs besides the task.
pub(super) struct TaskTurn<'a> {
    pub me: &'a AgentView,
    pub step: u64,
    pub model: &'a str,
    pub tools: &'a TaskTools,
    pub toolbox: Option<&'a Toolbox>,
    pub limits: ToolLimits,
    pub client: &'a ApiClient,
    /// Model calls this turn may make (at most [`TURN_CALLS_MAX`]).
    pub calls: u32,
    /// The task's last turn: it must settle the task.
    pub last: bool,
}

/// The answer: its text and the state it puts the task in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskAnswer {
    pub text: String,
    pub state: TaskState,
}

/// How a turn ended: what it decided and did, and the answer or the gateway's failure.
pub(super) struct TaskTurnEnd {
    pub decision: Decision,
    pub record: TurnRecord,
    pub answer: Option<TaskAnswer>,
    pub error: Option<ClientError>,
}

/// Works on `ask` (whose book entry is `task`) and answers it.
pub(super) async fn work_on_task(
    turn: TaskTurn<'_>,
    ask: &TaskAsk,
    task: Option<&NotebookTask>,
) -> TaskTurnEnd {
    let mut messages = vec![
        ChatMessage::text("system", task_system_prompt(turn.me)),
        ChatMessage::text("user", task_prompt(ask, task, turn.last)),
    ];
    let mut end = TaskTurnEnd {
        decision: Decision::default(),
        record: TurnRecord::default(),
        answer: None,
        error: None,
    };
    let calls = turn.calls.clamp(1, TURN_CALLS_MAX);
    // The answer's room and the tools' definitions, which the prompt carries too.
    let reserve = ANSWER_RESERVE_TOKENS + estimated_tool_tokens(&turn.tools.all);
    let mut answer_now = false;
    for round in 0..calls {
        let final_call = answer_now || round + 1 == calls;
        let tools = match (final_call, turn.last) {
            (_, true) if final_call => &turn.tools.settling,
            (true, false) => &turn.tools.answer_only,
            _ => &turn.tools.all,
        };
        let request = ChatRequest {
            model: turn.model,
            messages: messages.clone(),
            tools,
            tool_choice: if final_call { "required" } else { "auto" },
            max_tokens: COMPLETION_TOKENS_MAX,
        };
        let answer = turn.client.chat_completion(&request).await;
        end.decision.requests += 1;
        end.record.model_calls += 1;
        let completion = match answer {
            Ok(completion) => completion,
            Err(error) => {
                end.error = Some(error);
                return end;
            }
        };
        end.decision.acts.push(DecideAct {
            kind: "llm",
            error: None,
        });
        if let Some(answer) = read_answer(&completion, turn.last) {
            end.record.state = Some(answer.state);
            end.record.work.push(format!(
                "answered ({}): {}",
                answer.state.as_str(),
                answer.text
            ));
            end.answer = Some(answer);
            return end;
        }
        let read = read_tool_calls(&completion, turn.me.id, turn.step, turn.toolbox.is_some());
        let Some(toolbox) = turn.toolbox.filter(|_| !read.workspace.is_empty()) else {
            messages.push(ChatMessage::text(
                "user",
                "Call a tool: work with shell, read_file or write_file, or call answer.".into(),
            ));
            continue;
        };
        let ids = Turn {
            me: turn.me.id,
            step: turn.step,
            round: round as usize,
            limits: turn.limits,
        };
        let mut tools = run_tool_round(toolbox, turn.client, &completion, &read, ids).await;
        end.decision.requests += tools.requests;
        end.record.tool_calls += u32::try_from(tools.lines.len()).unwrap_or(u32::MAX);
        end.record.work.append(&mut tools.lines);
        end.decision.acts.extend(tools.acts);
        answer_now = fit_tool_results(&messages, &mut tools.messages, reserve);
        messages.extend(tools.messages);
    }
    // Only a model that never called `answer`, even when offered nothing else, gets here.
    end.decision.acts.push(DecideAct {
        kind: "llm_tool",
        error: Some("no_answer".into()),
    });
    end
}

/// The `answer` call's text (cut to [`ANSWER_CHARS_MAX`]) and the state its status means
/// ([`state_of`]), or the plain text of a model that called no tool. `None` when it called
/// other tools or wrote nothing.
fn read_answer(completion: &ChatCompletion, last: bool) -> Option<TaskAnswer> {
    let message = &completion.choices.first()?.message;
    let calls = message.tool_calls.as_deref().unwrap_or_default();
    let called = calls.iter().filter_map(|c| c.function.as_ref());
    let (text, status) = match called.clone().find(|f| f.name == ANSWER) {
        Some(call) => {
            let args = arguments(call).ok()?;
            let text = args.get("text")?.as_str()?.to_string();
            (
                text,
                args.get("status")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            )
        }
        None if called.count() == 0 => (message.content.clone()?, None),
        None => return None,
    };
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    Some(TaskAnswer {
        text: text.chars().take(ANSWER_CHARS_MAX).collect(),
        state: state_of(status.as_deref(), text, last),
    })
}

/// The state an answer's status means. Without a status (a model that wrote plain text), a
/// text ending in a question mark is a question, anything else counts as delivered; a
/// `progress` on the last turn, which the schema does not offer, as failed.
fn state_of(status: Option<&str>, text: &str, last: bool) -> TaskState {
    match status {
        Some("question") => TaskState::Clarifying,
        Some("progress") if last => TaskState::Failed,
        Some("progress") => TaskState::Working,
        Some("failed") => TaskState::Failed,
        Some(_) => TaskState::Delivered,
        None if text.trim_end().ends_with('?') => TaskState::Clarifying,
        None => TaskState::Delivered,
    }
}

#[cfg(test)]
#[path = "task_turn_tests.rs"]
mod tests;
