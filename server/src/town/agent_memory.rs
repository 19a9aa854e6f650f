//! The "Memory" section of an agent's town page: the notebook the agent last published
//! (`GET /agents/{id}/notebook`), with its current task in full (state, title, asker, request,
//! summary, work lines), the other tasks in a compact table, and the line about its life. It
//! only renders: whether the viewer may see it is decided by the page, through the same desk
//! call as the API (`notebooks::Notebooks::read`). maud escapes every text the agent wrote.

use maud::{Markup, html};
use shared::api::{AgentNotebook, NotebookTask};

use super::agent_pages::ago;
use crate::store::PublishedNotebook;

/// The section; `published` is `None` when the agent has not published a notebook.
pub fn memory_section(published: Option<&PublishedNotebook>, now_ms: i64) -> Markup {
    html! {
        section class="memory" {
            h2 { "Memory" }
            @match published {
                Some(published) => (notebook(&published.notebook, published.updated_at_ms, now_ms)),
                None => p class="empty" { "No notebook published yet." },
            }
        }
    }
}

fn notebook(book: &AgentNotebook, published_at_ms: i64, now_ms: i64) -> Markup {
    let current = book.current();
    let others: Vec<&NotebookTask> = book
        .tasks
        .iter()
        .filter(|task| !current.is_some_and(|c| std::ptr::eq(*task, c)))
        .collect();
    html! {
        p class="meta" { "Published " (ago(now_ms, published_at_ms)) " (written by the agent " (ago(now_ms, book.updated_at_ms)) ")." }
        @match current {
            Some(task) => (current_task(task, now_ms)),
            None => p class="empty" { "No task yet." },
        }
        @if !others.is_empty() {
            h3 { "Other tasks" }
            table class="grid tasks" {
                thead { tr { th { "State" } th { "Source" } th { "Title" } th { "Asked by" } th { "Turns" } th { "Updated" } } }
                tbody { @for task in &others {
                    tr { td { span class="status" { (task.state.as_str()) } } td { (task.source.to_string()) }
                         td { (task.title) } td { (task.asker) } td class="num" { (task.turns) }
                         td { (ago(now_ms, task.updated_at_ms)) } }
                } }
            }
        }
        p class="meta life" { "Life: " @if book.life.is_empty() { "—" } @else { (book.life) } }
    }
}

fn current_task(task: &NotebookTask, now_ms: i64) -> Markup {
    html! {
        h3 class="current-task" { "Current task: " (task.title) }
        table class="grid facts" {
            tr { th { "State" } td { span class="status" { (task.state.as_str()) } " · updated " (ago(now_ms, task.updated_at_ms)) } }
            tr { th { "Asked by" } td { (task.asker) " · " (task.source.to_string()) } }
            tr { th { "Request" } td class="body" { (task.request) } }
            @if !task.summary.is_empty() { tr { th { "So far" } td class="body" { (task.summary) } } }
            tr { th { "Spent" } td { (task.turns) " turns, " (task.model_calls) " model calls, " (task.tool_calls) " tool calls" } }
        }
        @if task.work.is_empty() { p class="empty" { "No work recorded yet." } }
        @else { ol class="work" { @for line in &task.work { li { code { (line) } } } } }
    }
}
