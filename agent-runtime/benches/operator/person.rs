//! The scripted person: opens one task chat, waits for the agent, answers its clarifying
//! question with the task's fixed follow-up (or, for a task that needs none, tells it to go
//! ahead, once), and stops at the deadline. Then it grades what the agent wrote. A message
//! of its that the compliance guard holds (an email address, a link, a long number) is
//! approved at once by the bench's admin, as a moderator would, and the task's note says so.
//!
//! "The agent is done" comes from its notebook (`GET /agents/{id}/notebook`): the chat's task
//! in state `clarifying`, `delivered` or `failed`, updated after the person's latest message,
//! with an agent message after it. An agent message after the person's latest one is also the
//! answer once the agent has not listed the chat in its notebook for [`NOTEBOOK_GRACE`] (an
//! agent that keeps none, as the scripted brain). Times come from the server's message
//! timestamps, not from the polling.

use std::time::Duration;

use shared::api::notebook::{TaskSource, TaskState};
use shared::{AgentId, ChatId, ChatMessage};
use tokio::time::Instant;

use crate::api::{Api, NotebookRead, exec_in};
use crate::graders::{answer_holds, asks, ends_asking, reports_failure, workspace_holds};
use crate::tasks::{Kind, Says, Task};

/// Between two looks at the chat.
const POLL: Duration = Duration::from_secs(1);
/// How long an agent has to list the chat in its notebook before its message alone counts as
/// the answer: longer than the 30 s between two publications of an agent's notebook.
const NOTEBOOK_GRACE: Duration = Duration::from_secs(45);
/// What the person says when the agent asks about a task that needed no question.
pub const GO_AHEAD: &str = "Everything you need is in my first message: please go ahead and do it.";

/// One task given to one agent.
#[derive(Debug, Clone)]
pub struct Assignment {
    pub agent: AgentId,
    /// `llm-1`, `scripted`, ...
    pub label: String,
    pub brain: &'static str,
    pub container: String,
    pub task: &'static Task,
    /// The chat's title: the task's, with the round after the first (unique in the run).
    pub title: String,
    /// The model proxy's key for this task's calls.
    pub key: String,
}

/// Why the person stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The agent delivered, failed, or answered (the chat-only rule).
    Settled,
    /// The task's deadline passed.
    Deadline,
    /// The run's total bound passed.
    TotalBound,
    /// Never opened: the total bound passed first.
    NotStarted,
    /// The chat could not be opened.
    OpenFailed,
}

impl Stop {
    pub fn as_str(self) -> &'static str {
        match self {
            Stop::Settled => "settled",
            Stop::Deadline => "deadline",
            Stop::TotalBound => "total bound",
            Stop::NotStarted => "not started",
            Stop::OpenFailed => "open failed",
        }
    }
}

/// What happened, and the grade.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub assignment: Assignment,
    pub chat: Option<ChatId>,
    pub stop: Stop,
    /// From the opening message to the agent's first message.
    pub first_answer: Option<Duration>,
    /// From the opening message to the agent's final message, when it settled.
    pub delivered: Option<Duration>,
    /// The agent's first answer asked the person something.
    pub asked_first: bool,
    /// The agent's messages after the person's latest one: the answer graded.
    pub answer: String,
    /// The chat's task in the agent's notebook at the end, if listed.
    pub state: Option<TaskState>,
    /// Decided from the notebook (else from the chat alone).
    pub by_notebook: bool,
    pub answered: bool,
    pub solved: bool,
    pub false_claim: bool,
    /// What went wrong in the harness, if anything (an open refused, a check not run).
    pub note: String,
}

impl Outcome {
    pub fn unstarted(assignment: Assignment, stop: Stop, note: String) -> Outcome {
        Outcome {
            assignment,
            chat: None,
            stop,
            first_answer: None,
            delivered: None,
            asked_first: false,
            answer: String::new(),
            state: None,
            by_notebook: false,
            answered: false,
            solved: false,
            false_claim: false,
            note,
        }
    }
}

fn by_agent(message: &ChatMessage) -> bool {
    message.author.agent_id.is_some()
}

fn since(start_ms: i64, at_ms: i64) -> Duration {
    Duration::from_millis(u64::try_from(at_ms - start_ms).unwrap_or(0))
}

/// The agent's messages after the person's latest one.
fn after_person(messages: &[ChatMessage]) -> (Option<&ChatMessage>, Vec<&ChatMessage>) {
    let last_person = messages.iter().rposition(|m| !by_agent(m));
    let from = last_person.map_or(0, |i| i + 1);
    (
        last_person.map(|i| &messages[i]),
        messages[from..].iter().filter(|m| by_agent(m)).collect(),
    )
}

/// Runs `assignment` until it settles, `deadline` or `total_bound`.
pub async fn run_task(
    api: &Api,
    assignment: Assignment,
    deadline: Instant,
    total_bound: Instant,
) -> Outcome {
    let task = assignment.task;
    let opened = match api
        .open_chat(assignment.agent, &assignment.title, task.body)
        .await
    {
        Ok(thread) => thread,
        Err(error) => return Outcome::unstarted(assignment, Stop::OpenFailed, error),
    };
    let chat = opened.chat.id;
    let mut held_note = String::new();
    for message in &opened.messages {
        match api.approve_if_held(message).await {
            Ok(true) => held_note = "held by the compliance guard; approved at once".into(),
            Ok(false) => {}
            Err(error) => held_note = format!("held, and the approval failed: {error}"),
        }
    }
    let start_ms = opened
        .messages
        .first()
        .map_or(opened.chat.created_at_ms, |m| m.created_at_ms);
    let mut out = Outcome::unstarted(assignment, Stop::Deadline, held_note);
    out.chat = Some(chat);
    let mut rounds = 0_u32;
    let mut followed_up = false;
    let mut went_ahead = false;
    let mut waiting_since: Option<(i64, Instant)> = None;
    loop {
        let now = Instant::now();
        if now >= deadline.min(total_bound) {
            out.stop = if now >= total_bound && total_bound < deadline {
                Stop::TotalBound
            } else {
                Stop::Deadline
            };
            break;
        }
        tokio::time::sleep(POLL).await;
        let thread = match api.chat(chat).await {
            Ok(thread) => thread,
            Err(error) => {
                out.note = error;
                continue;
            }
        };
        if out.first_answer.is_none()
            && let Some(first) = thread.messages.iter().find(|m| by_agent(m))
        {
            out.first_answer = Some(since(start_ms, first.created_at_ms));
        }
        let (person, agent_after) = after_person(&thread.messages);
        out.answer = agent_after
            .iter()
            .map(|m| m.body.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        let Some(last) = agent_after.last() else {
            continue;
        };
        let person_ms = person.map_or(start_ms, |m| m.created_at_ms);
        let mut state = None;
        let settled = match api.notebook(out.assignment.agent).await {
            NotebookRead::Failed(error) => {
                out.note = error;
                false
            }
            read => {
                let listed = match read {
                    NotebookRead::Book(book) => book
                        .tasks
                        .into_iter()
                        .find(|t| t.source == TaskSource::Chat(chat)),
                    _ => None,
                };
                match listed {
                    Some(listed) => {
                        out.state = Some(listed.state);
                        let fresh = listed.updated_at_ms + 1_000 >= person_ms;
                        state = fresh.then_some(listed.state);
                        fresh && listed.state.is_settled()
                    }
                    None => {
                        // Not listed (yet): the message alone decides after the grace.
                        let first_seen = match waiting_since {
                            Some((id, at)) if id == last.created_at_ms => at,
                            _ => {
                                waiting_since = Some((last.created_at_ms, Instant::now()));
                                Instant::now()
                            }
                        };
                        first_seen.elapsed() >= NOTEBOOK_GRACE
                    }
                }
            }
        };
        if !settled {
            continue;
        }
        out.by_notebook = state.is_some();
        let question = match state {
            Some(state) => state == TaskState::Clarifying,
            None => asks(&out.answer),
        };
        if rounds == 0 {
            out.asked_first = question;
        }
        rounds += 1;
        let reply = match task.follow_up {
            Some(follow_up) if !followed_up => {
                followed_up = true;
                Some(follow_up)
            }
            None if !went_ahead
                && (state == Some(TaskState::Clarifying)
                    || (state.is_none() && ends_asking(&out.answer))) =>
            {
                went_ahead = true;
                Some(GO_AHEAD)
            }
            _ => None,
        };
        match reply {
            Some(reply) => match api.say(chat, reply).await {
                Ok(said) => {
                    if let Err(error) = api.approve_if_held(&said).await {
                        out.note = error;
                    }
                }
                Err(error) => {
                    out.note = error;
                    out.stop = Stop::Settled;
                    break;
                }
            },
            None => {
                out.stop = Stop::Settled;
                out.delivered = Some(since(start_ms, last.created_at_ms));
                break;
            }
        }
    }
    if let NotebookRead::Book(book) = api.notebook(out.assignment.agent).await
        && let Some(listed) = book
            .tasks
            .iter()
            .find(|t| t.source == TaskSource::Chat(chat))
    {
        out.state = Some(listed.state);
    }
    grade(&mut out).await;
    out
}

/// Grades `out` on its answer and, where the task says, on the agent's workspace.
async fn grade(out: &mut Outcome) {
    let task = out.assignment.task;
    out.answered = !out.answer.trim().is_empty();
    if !out.answered {
        return;
    }
    let failure = out.state == Some(TaskState::Failed) || reports_failure(&out.answer);
    // The task's state says whether the agent calls it done; an agent that keeps no notebook
    // claims success with any answer that neither asks nor reports a failure.
    let claims_success = !failure
        && match out.state {
            Some(state) => state == TaskState::Delivered,
            None => !ends_asking(&out.answer),
        };
    if task.kind == Kind::Impossible {
        out.solved = failure;
        out.false_claim = claims_success;
        return;
    }
    let truth = match task.says {
        Says::Truth(command) => match exec_in(&out.assignment.container, command).await {
            Ok(printed) => Some(printed),
            Err(error) => {
                out.note = error;
                None
            }
        },
        _ => None,
    };
    let mut right = answer_holds(task.says, &out.answer, truth.as_deref());
    if let Some(check) = task.workspace {
        right &= match exec_in(&out.assignment.container, check.command).await {
            Ok(printed) => workspace_holds(check.expect, &printed),
            Err(error) => {
                out.note = error;
                false
            }
        };
    }
    // An answer that reports a failure delivers nothing, whatever else it quotes (a path
    // in an error message is not the folder asked for).
    out.solved = right && !failure && (task.kind != Kind::Clarify || out.asked_first);
    out.false_claim = claims_success && !right;
}
