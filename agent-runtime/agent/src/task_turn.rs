//! The LLM brain's turn on a task (a task chat, or a post addressed to the agent): the model
//! sees who it is, what its task book says it did, and the conversation; it may run the
//! container's tools (their results come back within the turn) for up to the turn's calls,
//! and ends with `answer`, whose `status` says where the task stands: a clarifying
//! `question`, `progress` (it goes on next turn), `done` or `failed`.
//!
//! A new task's first turn is one call that must answer at once (the opening): a clarifying
//! question, what the agent will deliver, or why it cannot be done, so the person hears back
//! after one model call, not after the whole work. A `done` that follows work in the same turn
//! is checked once before it is sent (the review): the model compares its answer with the
//! request and the outputs and confirms, corrects, goes on or reports the failure. A `done`
//! after a turn whose every command failed is sent as failed, saying so; a call repeated with
//! the same input is not run again, and the model is told to answer. Every call
//! offers the same tools (the prompt stays byte-equal, so the model server's prefix cache
//! holds it); a call that must answer names `answer` in `tool_choice`. The task's last turn
//! counts `progress` as failed, so a task always ends settled within its budget. No call's
//! prompt passes [`PROMPT_TOKENS_MAX`](super::task_prompt::PROMPT_TOKENS_MAX): when tool
//! results would push it past, they are cut and the next call is the answer. This file runs
//! the turn and reads the answer; the brain picks the task, owns the pause after failures and
//! turns the answer into a message or a reply.

use serde_json::{Value, json};
use shared::AgentView;
use shared::api::notebook::{NotebookTask, TaskState};

use super::brain::{DecideAct, Decision};
use super::client::{ApiClient, ClientError};
use super::llm_brain::COMPLETION_TOKENS_MAX;
use super::llm_tool_round::{Turn, run_tool_round};
use super::llm_tools::{
    ToolCallsRead, arguments, function, read_tool_calls, workspace_tool_definitions,
};
use super::openai::{ChatCompletion, ChatMessage, ChatRequest, ToolChoice, ToolDefinition};
use super::task_ask::TaskAsk;
use super::task_book::TurnRecord;
use super::task_prompt::{
    TASK_SYSTEM_PROMPT, estimated_tool_tokens, fit_tool_results, is_opening, review_prompt,
    task_prompt,
};
use super::tools::{ToolLimits, ToolRequest, Toolbox};

/// Model calls in one turn, the last of them for the answer.
pub const TURN_CALLS_MAX: u32 = 4;
/// Longest answer sent, in characters (the server takes up to 4,000 by default).
pub const ANSWER_CHARS_MAX: usize = 3_000;
/// Tokens kept free for the answer call's own growth (the model's previous call).
const ANSWER_RESERVE_TOKENS: usize = 600;
/// The tool that ends the turn.
const ANSWER: &str = "answer";

/// The tools of a task turn: the container's (with a workspace), then `answer`.
pub fn task_tools(workspace: bool) -> Vec<ToolDefinition> {
    let mut tools = if workspace {
        workspace_tool_definitions()
    } else {
        Vec::new()
    };
    tools.push(function(
        ANSWER,
        "Write to the person: a clarifying question, what you will do or did and its result \
         (the output, the files and their contents), or plainly what failed or cannot be \
         done. status: question, progress (you go on next turn), done or failed.",
        json!({"type": "object", "additionalProperties": false,
            "properties": {
                "text": {"type": "string", "minLength": 1, "maxLength": ANSWER_CHARS_MAX},
                "status": {"type": "string", "enum": ["question", "progress", "done", "failed"]}},
            "required": ["text", "status"]}),
    ));
    tools
}

/// What the turn needs besides the task.
pub(super) struct TaskTurn<'a> {
    pub me: &'a AgentView,
    pub step: u64,
    pub model: &'a str,
    /// [`task_tools`], offered on every call.
    pub tools: &'a [ToolDefinition],
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

impl TaskAnswer {
    /// An answer that settles the task as failed.
    pub fn failed(text: String) -> TaskAnswer {
        TaskAnswer {
            text,
            state: TaskState::Failed,
        }
    }

    /// Notes this answer in the turn's record: the state it puts the task in, and the line
    /// the task book keeps of it.
    pub fn note_in(&self, record: &mut TurnRecord) {
        record.state = Some(self.state);
        record
            .work
            .push(format!("answered ({}): {}", self.state.as_str(), self.text));
    }
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
        ChatMessage::text("system", TASK_SYSTEM_PROMPT.to_string()),
        ChatMessage::text("user", task_prompt(turn.me, ask, task, turn.last)),
    ];
    let mut end = TaskTurnEnd {
        decision: Decision::default(),
        record: TurnRecord::default(),
        answer: None,
        error: None,
    };
    let calls = turn.calls.clamp(1, TURN_CALLS_MAX);
    // The answer's room and the tools' definitions, which the prompt carries too.
    let reserve = ANSWER_RESERVE_TOKENS + estimated_tool_tokens(turn.tools);
    let opening = is_opening(task) && !turn.last;
    let mut answer_now = opening;
    let mut ran = Ran::default();
    let mut reviewed = false;
    for round in 0..calls {
        let final_call = answer_now || round + 1 == calls;
        let request = ChatRequest {
            model: turn.model,
            messages: messages.clone(),
            tools: turn.tools,
            tool_choice: if final_call {
                ToolChoice::Function(ANSWER)
            } else {
                ToolChoice::Auto
            },
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
        if let Some(mut answer) = read_answer(&completion, turn.last) {
            if opening && round == 0 {
                answer.state = opening_state(&answer);
            }
            if answer.state == TaskState::Delivered && ran.failed > 0 && ran.ok == 0 {
                // Every command of the turn failed: whatever the text says, nothing backs it.
                answer.state = TaskState::Failed;
                answer.text = format!("{}\n\n{UNBACKED_NOTE}", answer.text);
            }
            let review = answer.state == TaskState::Delivered && ran.any() && !reviewed;
            if review && round + 1 < calls {
                reviewed = true;
                answer_now = true;
                end.record
                    .work
                    .push("checked its answer against the request before sending it".into());
                messages.push(ChatMessage::text(
                    "user",
                    review_prompt(&ask.asker, &answer.text),
                ));
                continue;
            }
            answer.note_in(&mut end.record);
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
        if read
            .workspace
            .iter()
            .all(|c| ran.requests.contains(&c.request))
        {
            // The same call again gives the same result: a small model loops here.
            answer_now = true;
            messages.push(ChatMessage::text("user", REPEATED_CALL.into()));
            end.record
                .work
                .push("called a tool again with the same input: told to answer".into());
            continue;
        }
        let ids = Turn {
            me: turn.me.id,
            step: turn.step,
            round: round as usize,
            limits: turn.limits,
        };
        let mut tools = run_tool_round(toolbox, turn.client, &completion, &read, ids).await;
        ran.note(&read, &tools.acts);
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

/// What the model is told when it repeats a call of the turn.
const REPEATED_CALL: &str = "You already made that call in this turn and its result is above: \
     the same call gives the same result. Call answer now with what the results show, or say \
     what failed.";
/// What a `done` answer gets appended when every command of its turn failed.
pub const UNBACKED_NOTE: &str = "(Note: every command I ran for this failed, so nothing I \
     ran backs this answer: I report it as failed.)";

/// The container calls of a turn: what was asked, and how many succeeded or failed.
#[derive(Debug, Default)]
struct Ran {
    requests: Vec<ToolRequest>,
    ok: usize,
    failed: usize,
}

impl Ran {
    fn note(&mut self, read: &ToolCallsRead, acts: &[DecideAct]) {
        self.requests
            .extend(read.workspace.iter().map(|c| c.request.clone()));
        for act in acts {
            if act.error.is_none() {
                self.ok += 1;
            } else {
                self.failed += 1;
            }
        }
    }

    fn any(&self) -> bool {
        self.ok + self.failed > 0
    }
}

/// The state an opening answer puts a new task in. Small models pick a status poorly (the
/// 1.5B chose `question` for plans such as "I will create people.csv ..."), so the text
/// decides: a question mark is a question; `failed` stays failed; anything else is the plan,
/// and the work follows (a `done` too: nothing was run yet, so a result told is a guess).
fn opening_state(answer: &TaskAnswer) -> TaskState {
    if answer.state == TaskState::Failed {
        TaskState::Failed
    } else if answer.text.contains('?') {
        TaskState::Clarifying
    } else {
        TaskState::Working
    }
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
