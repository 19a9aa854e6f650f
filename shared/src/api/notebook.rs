//! An agent's notebook: the tasks people gave it (from task chats and posts addressed to it),
//! each with its state and what the agent did for it, and a line about its life. The agent
//! keeps it in its workspace and publishes a copy (`PUT /agents/me/notebook`) so staff can read
//! its memory and its current task on its town page without entering its container
//! (`GET /agents/{id}/notebook`). Bounded by the limits below, checked on both sides by
//! [`AgentNotebook::check`]: the server refuses a notebook past them and keeps the last good one.

use serde::{Deserialize, Serialize};

use crate::ids::{ChatId, PostId};

/// Largest notebook the server takes, in bytes of JSON, whatever its general body limit: a
/// notebook filled to the limits below can pass it (non-ASCII text takes up to 4 bytes a
/// character), so the agent trims what it publishes to fit ([`AgentNotebook::fit`]).
pub const NOTEBOOK_BYTES_MAX: usize = 64 * 1024;
/// Tasks in one notebook (the agent keeps the latest ones).
pub const NOTEBOOK_TASKS_MAX: usize = 16;
/// Longest title or asker name, in characters.
pub const NOTEBOOK_LABEL_CHARS_MAX: usize = 120;
/// Longest request (the person's first message, as the agent kept it), in characters.
pub const NOTEBOOK_REQUEST_CHARS_MAX: usize = 1_500;
/// Longest summary of a task or of the agent's life, in characters.
pub const NOTEBOOK_SUMMARY_CHARS_MAX: usize = 1_000;
/// Work lines kept per task, and the longest, in characters.
pub const NOTEBOOK_WORK_LINES_MAX: usize = 8;
pub const NOTEBOOK_WORK_LINE_CHARS_MAX: usize = 300;

/// Where a task came from: a task chat or a post addressed to the agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum TaskSource {
    Chat(ChatId),
    Post(PostId),
}

impl std::fmt::Display for TaskSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TaskSource::Chat(id) => write!(f, "chat {id}"),
            TaskSource::Post(id) => write!(f, "post {id}"),
        }
    }
}

/// Where a task stands: asked → (clarifying ⇄) working → delivered or failed. A person's new
/// message reopens a delivered or failed task (it becomes `asked` again).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TaskState {
    /// A person asked; the agent has not answered yet.
    Asked,
    /// The agent asked a clarifying question and waits for the answer.
    Clarifying,
    /// The agent reported progress and goes on working without waiting.
    Working,
    /// The agent delivered the result.
    Delivered,
    /// The agent reported that it failed or that the task cannot be done.
    Failed,
}

impl TaskState {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskState::Asked => "asked",
            TaskState::Clarifying => "clarifying",
            TaskState::Working => "working",
            TaskState::Delivered => "delivered",
            TaskState::Failed => "failed",
        }
    }

    /// Whether the agent owes the person nothing more until they write again.
    pub fn is_settled(self) -> bool {
        matches!(
            self,
            TaskState::Clarifying | TaskState::Delivered | TaskState::Failed
        )
    }
}

/// One task as the agent remembers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NotebookTask {
    pub source: TaskSource,
    pub title: String,
    /// The person who asked.
    pub asker: String,
    pub state: TaskState,
    /// The person's first message: what was asked.
    pub request: String,
    /// Older work and messages, folded into a few sentences.
    #[serde(default)]
    pub summary: String,
    /// The latest work done for it, oldest first: commands and their results, answers sent.
    #[serde(default)]
    pub work: Vec<String>,
    /// Turns the agent spent on it, and the model calls and tool calls of those turns.
    pub turns: u32,
    pub model_calls: u32,
    pub tool_calls: u32,
    pub opened_at_ms: i64,
    pub updated_at_ms: i64,
}

/// The whole notebook: tasks, latest first, and the agent's life in one line.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentNotebook {
    #[serde(default)]
    pub tasks: Vec<NotebookTask>,
    /// What its step memory says it did (steps, moves, posts, replies, failures).
    #[serde(default)]
    pub life: String,
    /// When the agent wrote it, ms since the Unix epoch.
    pub updated_at_ms: i64,
}

/// Why a notebook is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotebookError {
    #[error("{field} holds {len}, more than {max}")]
    TooLong {
        field: &'static str,
        len: usize,
        max: usize,
    },
}

fn within(field: &'static str, len: usize, max: usize) -> Result<(), NotebookError> {
    if len > max {
        return Err(NotebookError::TooLong { field, len, max });
    }
    Ok(())
}

fn chars(text: &str) -> usize {
    text.chars().count()
}

impl AgentNotebook {
    /// Checks every limit of this file.
    pub fn check(&self) -> Result<(), NotebookError> {
        within("tasks", self.tasks.len(), NOTEBOOK_TASKS_MAX)?;
        within("life", chars(&self.life), NOTEBOOK_SUMMARY_CHARS_MAX)?;
        for task in &self.tasks {
            within("title", chars(&task.title), NOTEBOOK_LABEL_CHARS_MAX)?;
            within("asker", chars(&task.asker), NOTEBOOK_LABEL_CHARS_MAX)?;
            within("request", chars(&task.request), NOTEBOOK_REQUEST_CHARS_MAX)?;
            within("summary", chars(&task.summary), NOTEBOOK_SUMMARY_CHARS_MAX)?;
            within("work", task.work.len(), NOTEBOOK_WORK_LINES_MAX)?;
            for line in &task.work {
                within("work line", chars(line), NOTEBOOK_WORK_LINE_CHARS_MAX)?;
            }
        }
        Ok(())
    }

    /// Trims the notebook until its JSON fits [`NOTEBOOK_BYTES_MAX`]: the oldest tasks' work
    /// and summary go first, then the oldest tasks. Returns the JSON.
    pub fn fit(&mut self) -> String {
        loop {
            let json = serde_json::to_string(self).unwrap_or_default();
            if json.len() <= NOTEBOOK_BYTES_MAX {
                return json;
            }
            let bulky = self
                .tasks
                .iter()
                .rposition(|t| !t.work.is_empty() || !t.summary.is_empty());
            if let Some(at) = bulky {
                self.tasks[at].work.clear();
                self.tasks[at].summary.clear();
            } else if self.tasks.pop().is_none() {
                self.life.clear();
                return serde_json::to_string(self).unwrap_or_default();
            }
        }
    }

    /// The task the agent works on now: the latest not settled, else the latest.
    pub fn current(&self) -> Option<&NotebookTask> {
        let open = self.tasks.iter().find(|t| !t.state.is_settled());
        open.or(self.tasks.first())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn task(state: TaskState) -> NotebookTask {
        NotebookTask {
            source: TaskSource::Chat(ChatId(3)),
            title: "Word count".into(),
            asker: "sam".into(),
            state,
            request: "count".into(),
            summary: String::new(),
            work: vec!["ran `wc`".into()],
            turns: 1,
            model_calls: 2,
            tool_calls: 1,
            opened_at_ms: 1,
            updated_at_ms: 2,
        }
    }

    #[test]
    fn the_source_reads_as_a_kind_and_an_id() {
        // The JSON shape other programs and the town page rely on.
        let json = serde_json::to_value(TaskSource::Post(PostId(7))).unwrap();
        assert_eq!(json, serde_json::json!({"kind": "post", "id": 7}));
        let back: TaskSource = serde_json::from_value(json).unwrap();
        assert_eq!(back, TaskSource::Post(PostId(7)));
    }

    #[test]
    fn limits_are_checked_field_by_field() {
        // A notebook within the limits passes; one long work line or too many tasks does not.
        let mut book = AgentNotebook {
            tasks: vec![task(TaskState::Working)],
            life: "12 steps".into(),
            updated_at_ms: 5,
        };
        book.check().unwrap();
        book.tasks[0]
            .work
            .push("x".repeat(NOTEBOOK_WORK_LINE_CHARS_MAX + 1));
        assert!(matches!(
            book.check(),
            Err(NotebookError::TooLong {
                field: "work line",
                ..
            })
        ));
        book.tasks = vec![task(TaskState::Asked); NOTEBOOK_TASKS_MAX + 1];
        assert!(book.check().is_err());
    }

    #[test]
    fn a_full_notebook_is_trimmed_to_fit_the_body_limit() {
        // Sixteen tasks filled to every limit with 4-byte characters pass `check` but not the
        // byte limit; `fit` trims the oldest work, then the oldest tasks, and what remains
        // passes both.
        let wide = |n: usize| "🦀".repeat(n);
        let full = NotebookTask {
            title: wide(NOTEBOOK_LABEL_CHARS_MAX),
            asker: wide(NOTEBOOK_LABEL_CHARS_MAX),
            request: wide(NOTEBOOK_REQUEST_CHARS_MAX),
            summary: wide(NOTEBOOK_SUMMARY_CHARS_MAX),
            work: vec![wide(NOTEBOOK_WORK_LINE_CHARS_MAX); NOTEBOOK_WORK_LINES_MAX],
            ..task(TaskState::Working)
        };
        let mut book = AgentNotebook {
            tasks: vec![full; NOTEBOOK_TASKS_MAX],
            life: wide(NOTEBOOK_SUMMARY_CHARS_MAX),
            updated_at_ms: 1,
        };
        book.check().unwrap();
        assert!(serde_json::to_string(&book).unwrap().len() > NOTEBOOK_BYTES_MAX);
        let json = book.fit();
        assert!(json.len() <= NOTEBOOK_BYTES_MAX, "{} bytes", json.len());
        book.check().unwrap();
        assert!(!book.tasks.is_empty(), "the newest task went");
        assert!(book.tasks.len() < NOTEBOOK_TASKS_MAX, "no task went");
    }

    #[test]
    fn the_current_task_is_the_latest_unsettled_one() {
        // A delivered task first and a working one after: the working one is current.
        let book = AgentNotebook {
            tasks: vec![task(TaskState::Delivered), task(TaskState::Working)],
            life: String::new(),
            updated_at_ms: 0,
        };
        assert_eq!(book.current().unwrap().state, TaskState::Working);
    }
}
