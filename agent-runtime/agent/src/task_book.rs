//! The agent's task book, `tasks.json` in its workspace: every task a person gave it (a task
//! chat, a post addressed to it), where it stands (asked → clarifying → working → delivered or
//! failed), what the agent did for it (commands and their results, answers sent) and the
//! model calls it cost, carried across steps and restarts. It is what the agent's next turn on
//! a task is told besides the conversation, so work is neither forgotten nor redone, and what
//! the agent publishes as its notebook for staff (`shared::api::notebook`).
//!
//! Bounded, so a week-old agent's prompt is no larger than a day-old one's: at most
//! [`NOTEBOOK_TASKS_MAX`] tasks (the least recently touched settled one goes first), the latest
//! [`NOTEBOOK_WORK_LINES_MAX`] work lines per task, older ones folded into the task's summary,
//! which keeps its newest [`NOTEBOOK_SUMMARY_CHARS_MAX`] characters. Saved through a renamed
//! temporary file, so a crash leaves the old book or the new one. It decides nothing.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use shared::PostId;
use shared::api::notebook::{
    AgentNotebook, NOTEBOOK_LABEL_CHARS_MAX, NOTEBOOK_REQUEST_CHARS_MAX,
    NOTEBOOK_SUMMARY_CHARS_MAX, NOTEBOOK_TASKS_MAX, NOTEBOOK_WORK_LINE_CHARS_MAX,
    NOTEBOOK_WORK_LINES_MAX, NotebookTask, TaskSource, TaskState,
};

use super::workspace_file::{read_or_default, write_whole};

/// The book's file name in the workspace.
pub const TASK_BOOK_FILE: &str = "tasks.json";
/// Characters a folded work line keeps in the summary.
const FOLDED_LINE_CHARS_MAX: usize = 120;

/// An answer to a post, written but not delivered yet: replies need the agent at the board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub post_id: PostId,
    pub body: String,
    /// The asker's latest message it answers: 0 for the post itself, else a reply id.
    pub through: u64,
}

/// What one turn on a task did, folded into the book by [`TaskBook::record_turn`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TurnRecord {
    /// The state the answer put the task in; `None`: the turn gave no answer (it failed).
    pub state: Option<TaskState>,
    pub model_calls: u32,
    pub tool_calls: u32,
    /// What it did, in order: commands with their results, the answer sent.
    pub work: Vec<String>,
}

/// A task and what only the agent needs of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct BookTask {
    #[serde(flatten)]
    task: NotebookTask,
    /// Its model calls when the person last wrote: the work budget counts from there.
    #[serde(default)]
    calls_at_ask: u32,
}

/// What the file holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct BookFile {
    /// Latest touched first.
    #[serde(default)]
    tasks: Vec<BookTask>,
    #[serde(default)]
    drafts: Vec<Draft>,
}

/// The task book of one agent.
#[derive(Debug)]
pub struct TaskBook {
    path: PathBuf,
    file: BookFile,
    /// Changed since [`TaskBook::take_changed`] last took it: the notebook is due.
    changed: bool,
}

impl TaskBook {
    /// The book in `workspace` (read now; a missing file starts empty, an unreadable one too,
    /// logged).
    pub fn open(workspace: &Path) -> TaskBook {
        let path = workspace.join(TASK_BOOK_FILE);
        let file = read_or_default(&path);
        TaskBook {
            path,
            file,
            changed: false,
        }
    }

    /// The task from `source`, if the book holds it.
    pub fn task(&self, source: TaskSource) -> Option<&NotebookTask> {
        self.tasks().find(|t| t.source == source)
    }

    /// Every task, latest touched first.
    pub fn tasks(&self) -> impl DoubleEndedIterator<Item = &NotebookTask> {
        self.file.tasks.iter().map(|t| &t.task)
    }

    /// The model calls spent on `source` since its person last wrote.
    pub fn spent_since_ask(&self, source: TaskSource) -> u32 {
        let found = self.file.tasks.iter().find(|t| t.task.source == source);
        found.map_or(0, |t| t.task.model_calls.saturating_sub(t.calls_at_ask))
    }

    /// Notes that the person wrote on `source` and waits for the agent: a new task is opened
    /// (`asked`); a settled one is asked again. The request is the person's first message.
    pub fn note_asked(&mut self, source: TaskSource, title: &str, asker: &str, request: &str) {
        let now = now_ms();
        match self.position(source) {
            Some(at) => {
                let entry = &mut self.file.tasks[at];
                entry.calls_at_ask = entry.task.model_calls;
                let task = &mut entry.task;
                if task.state.is_settled() {
                    task.state = TaskState::Asked;
                }
                task.updated_at_ms = now;
                self.touch(at);
            }
            None => {
                let task = NotebookTask {
                    source,
                    title: clip(title, NOTEBOOK_LABEL_CHARS_MAX),
                    asker: clip(asker, NOTEBOOK_LABEL_CHARS_MAX),
                    state: TaskState::Asked,
                    request: clip(request, NOTEBOOK_REQUEST_CHARS_MAX),
                    summary: String::new(),
                    work: Vec::new(),
                    turns: 0,
                    model_calls: 0,
                    tool_calls: 0,
                    opened_at_ms: now,
                    updated_at_ms: now,
                };
                let entry = BookTask {
                    task,
                    calls_at_ask: 0,
                };
                self.file.tasks.insert(0, entry);
                self.make_room();
            }
        }
        self.save();
    }

    /// Folds one turn on `source` into its task (a task the book does not hold is ignored).
    pub fn record_turn(&mut self, source: TaskSource, turn: TurnRecord) {
        let Some(at) = self.position(source) else {
            return;
        };
        let task = &mut self.file.tasks[at].task;
        task.turns = task.turns.saturating_add(1);
        task.model_calls = task.model_calls.saturating_add(turn.model_calls);
        task.tool_calls = task.tool_calls.saturating_add(turn.tool_calls);
        if let Some(state) = turn.state {
            task.state = state;
        }
        task.updated_at_ms = now_ms();
        for line in turn.work {
            task.work
                .push(clip(&one_line(&line), NOTEBOOK_WORK_LINE_CHARS_MAX));
        }
        let fold = task.work.len().saturating_sub(NOTEBOOK_WORK_LINES_MAX);
        for line in task.work.drain(..fold) {
            let short = clip(&line, FOLDED_LINE_CHARS_MAX);
            task.summary = if task.summary.is_empty() {
                short
            } else {
                format!("{}; {short}", task.summary)
            };
        }
        task.summary = keep_tail(&task.summary, NOTEBOOK_SUMMARY_CHARS_MAX);
        self.touch(at);
        self.save();
    }

    /// Keeps an answer to a post until the agent stands at the board (one per post: a newer
    /// answer replaces an older one).
    pub fn keep_draft(&mut self, draft: Draft) {
        self.file.drafts.retain(|d| d.post_id != draft.post_id);
        self.file.drafts.push(draft);
        self.save();
    }

    /// The answers waiting for the board.
    pub fn drafts(&self) -> &[Draft] {
        &self.file.drafts
    }

    /// Drops the draft for `post` (delivered, or the thread refused it for good).
    pub fn drop_draft(&mut self, post: PostId) -> Option<Draft> {
        let at = self.file.drafts.iter().position(|d| d.post_id == post)?;
        let draft = self.file.drafts.remove(at);
        self.save();
        Some(draft)
    }

    /// The notebook to publish, with `life` (what the step memory says), cut to its limits.
    pub fn notebook(&self, life: &str) -> AgentNotebook {
        AgentNotebook {
            tasks: self.tasks().cloned().collect(),
            life: clip(life, NOTEBOOK_SUMMARY_CHARS_MAX),
            updated_at_ms: now_ms(),
        }
    }

    /// Whether the book changed since the last call.
    pub fn take_changed(&mut self) -> bool {
        std::mem::take(&mut self.changed)
    }

    fn position(&self, source: TaskSource) -> Option<usize> {
        self.file.tasks.iter().position(|t| t.task.source == source)
    }

    /// Moves the task at `at` to the front (latest touched first).
    fn touch(&mut self, at: usize) {
        let task = self.file.tasks.remove(at);
        self.file.tasks.insert(0, task);
    }

    /// Drops tasks past the limit: settled ones first, least recently touched first.
    fn make_room(&mut self) {
        while self.file.tasks.len() > NOTEBOOK_TASKS_MAX {
            let settled = self
                .file
                .tasks
                .iter()
                .rposition(|t| t.task.state.is_settled());
            let at = settled.unwrap_or(self.file.tasks.len() - 1);
            let gone = self.file.tasks.remove(at);
            if let TaskSource::Post(post) = gone.task.source {
                self.file.drafts.retain(|d| d.post_id != post);
            }
        }
        debug_assert!(self.file.tasks.len() <= NOTEBOOK_TASKS_MAX);
    }

    /// Writes the book (a failure is logged: the next save tries again).
    fn save(&mut self) {
        self.changed = true;
        write_whole(&self.path, &self.file);
    }
}

/// Milliseconds since the Unix epoch (0 before it: a clock that wrong changes no decision).
pub fn now_ms() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    since.map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// `text` cut to `max` characters.
pub fn clip(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// The last `max` characters of `text`, marked as cut when they are not all of it.
fn keep_tail(text: &str, max: usize) -> String {
    let len = text.chars().count();
    if len <= max {
        return text.to_string();
    }
    let tail: String = text.chars().skip(len - max + 1).collect();
    format!("…{tail}")
}

/// `text` on one line: runs of whitespace become one space.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
#[path = "task_book_tests.rs"]
mod tests;
