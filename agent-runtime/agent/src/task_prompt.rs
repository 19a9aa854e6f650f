//! The prompts of a task turn, and the cap on their size. The system prompt is the same on
//! every call of an agent (its name and persona are all that vary) and comes first, so the
//! model server's prefix cache keeps it; the user message tells the task, what the agent's
//! task book says it did so far, and the conversation. The whole prompt of any call stays
//! under [`PROMPT_TOKENS_MAX`] as estimated by [`estimated_tokens`]: the user message is cut
//! to [`TASK_PROMPT_CHARS_MAX`], and tool results added during the turn are cut to the room
//! left ([`fit_tool_results`]). Pure: no I/O, no state, no decision.

use std::fmt::Write as _;

use shared::AgentView;
use shared::api::notebook::{NotebookTask, TaskState};

use super::llm_prompt::{ITEM_CHARS_MAX, one_line};
use super::openai::{ChatMessage, ToolDefinition};
use super::task_ask::TaskAsk;

/// Most prompt tokens of one model call, as estimated.
pub const PROMPT_TOKENS_MAX: usize = 4_000;
/// Characters counted as one token by the estimate. Qwen's tokenizer averages about 4
/// characters a token on English and 3 on code and numbers; 3 over-counts prose, so the real
/// prompt stays under the cap.
pub const CHARS_PER_TOKEN: usize = 3;
/// Tokens a message adds besides its text (the chat template's role markers).
const MESSAGE_OVERHEAD_TOKENS: usize = 8;
/// Longest user message of a turn, in characters.
pub const TASK_PROMPT_CHARS_MAX: usize = 6_000;
/// Longest message of the conversation quoted, in characters.
pub const SAID_CHARS_MAX: usize = 1_500;
/// What ends a cut tool result.
const CUT_MARKER: &str = "\n[cut: the rest of this result was left out to keep the prompt short]";
/// Least characters a cut tool result keeps, so a result is never cut to nothing.
const TOOL_RESULT_CHARS_MIN: usize = 200;

/// Who the agent is and how it works on a task: the same text on every call.
pub fn task_system_prompt(me: &AgentView) -> String {
    let name = one_line(&me.display_name, ITEM_CHARS_MAX);
    let persona = one_line(&me.persona, ITEM_CHARS_MAX);
    format!(
        "You are {name}, an agent of AI Village who does real work for people. {persona}\n\
         A person gave you a task. You have your own Linux container. Your tools: shell runs \
         a command in your workspace folder (the current directory: use paths relative to \
         it); read_file and write_file read and write its files. Their results come back to \
         you. Work like a careful operator:\n\
         1. If the request is unclear or misses something you need, call answer with one \
         short question and status \"question\", then wait.\n\
         2. Otherwise do the work with the tools: write the file, run it, read what it prints.\n\
         3. Judge the result by its output, not by the exit code alone.\n\
         4. Call answer with status \"done\" and what you did: the command, its output, the \
         file names and their contents.\n\
         5. If something failed or cannot be done (you have no internet, no email, no \
         account elsewhere), call answer with status \"failed\" and say plainly what and why.\n\
         6. If the work needs more turns, call answer with status \"progress\" and what you \
         did so far; you go on next turn.\n\
         Never claim you did something you did not do."
    )
}

/// The task, the agent's notes on it, and the conversation, at most
/// [`TASK_PROMPT_CHARS_MAX`] characters; `last` when this turn must settle the task.
pub fn task_prompt(ask: &TaskAsk, task: Option<&NotebookTask>, last: bool) -> String {
    let mut head = format!(
        "Task ({}) \"{}\" from {}.\n",
        ask.source,
        one_line(&ask.title, ITEM_CHARS_MAX),
        one_line(&ask.asker, ITEM_CHARS_MAX)
    );
    if let Some(task) = task {
        let _ = writeln!(head, "Where it stands: {}.", state_line(task.state));
        if !task.summary.is_empty() || !task.work.is_empty() {
            head.push_str("What you did for it before:\n");
            if !task.summary.is_empty() {
                let _ = writeln!(head, "- earlier: {}", task.summary);
            }
            for line in &task.work {
                let _ = writeln!(head, "- {line}");
            }
        }
    }
    let working = task.is_some_and(|t| t.state == TaskState::Working);
    let tail = if last {
        "This is your last turn on this task: do what is left, then call answer with status \
         done or failed."
            .to_string()
    } else if working {
        "Go on with the work where you left off, then answer.".to_string()
    } else {
        format!(
            "Work on {}'s latest message now, then answer.",
            one_line(&ask.asker, ITEM_CHARS_MAX)
        )
    };
    let room = TASK_PROMPT_CHARS_MAX.saturating_sub(head.chars().count() + tail.chars().count());
    let mut text = head;
    text.push_str(&conversation(ask, room));
    text.push_str(&tail);
    clip_chars(&text, TASK_PROMPT_CHARS_MAX)
}

/// The conversation within `room` characters: the newest messages that fit, the first
/// (the request) before them when it fits too.
fn conversation(ask: &TaskAsk, room: usize) -> String {
    let lines: Vec<String> = ask
        .said
        .iter()
        .map(|s| {
            let who = if s.mine {
                "you".to_string()
            } else {
                one_line(&s.who, ITEM_CHARS_MAX)
            };
            format!("{who}: {}\n", clip_chars(s.body.trim(), SAID_CHARS_MAX))
        })
        .collect();
    let header = "The conversation, oldest first:\n";
    let mut left = room.saturating_sub(header.chars().count() + 60);
    let mut kept: Vec<&str> = Vec::new();
    for line in lines.iter().skip(1).rev() {
        let len = line.chars().count();
        if len > left {
            break;
        }
        left -= len;
        kept.push(line);
    }
    kept.reverse();
    let first = lines.first().filter(|l| l.chars().count() <= left);
    let shown = kept.len() + usize::from(first.is_some());
    let hidden = ask.left_out + ask.said.len() - shown;
    let mut text = header.to_string();
    if let Some(first) = first {
        text.push_str(first);
    }
    if hidden > 0 {
        let _ = writeln!(text, "({hidden} messages not shown)");
    }
    for line in kept {
        text.push_str(line);
    }
    text
}

fn state_line(state: TaskState) -> &'static str {
    match state {
        TaskState::Asked => "new, not answered yet",
        TaskState::Clarifying => "you asked a question and the person answered below",
        TaskState::Working => "you reported progress and go on working",
        TaskState::Delivered => "you delivered it; the person wrote again below",
        TaskState::Failed => "you reported it failed; the person wrote again below",
    }
}

/// The estimated prompt tokens of `messages`.
pub fn estimated_tokens(messages: &[ChatMessage]) -> usize {
    messages
        .iter()
        .map(|m| {
            let calls: usize = m.tool_calls.iter().map(|c| c.to_string().len()).sum();
            (m.content.chars().count() + calls).div_ceil(CHARS_PER_TOKEN) + MESSAGE_OVERHEAD_TOKENS
        })
        .sum()
}

/// The estimated prompt tokens of `tools`: the model server's chat template writes their
/// definitions into the prompt, so they count against [`PROMPT_TOKENS_MAX`] too.
pub fn estimated_tool_tokens(tools: &[ToolDefinition]) -> usize {
    serde_json::to_string(tools)
        .map_or(0, |json| json.chars().count())
        .div_ceil(CHARS_PER_TOKEN)
}

/// Cuts the `tool` messages among `added` so that `base` and `added` together stay under
/// [`PROMPT_TOKENS_MAX`] less `reserve` tokens (each keeps at least
/// [`TOOL_RESULT_CHARS_MIN`] characters); true when anything was cut.
pub fn fit_tool_results(base: &[ChatMessage], added: &mut [ChatMessage], reserve: usize) -> bool {
    let budget = PROMPT_TOKENS_MAX.saturating_sub(reserve);
    let used = estimated_tokens(base) + estimated_tokens(added);
    if used <= budget {
        return false;
    }
    let results: Vec<usize> = (0..added.len())
        .filter(|&i| added[i].role == "tool")
        .collect();
    let over_chars = (used - budget) * CHARS_PER_TOKEN;
    let total: usize = results
        .iter()
        .map(|&i| added[i].content.chars().count())
        .sum();
    let keep_total = total.saturating_sub(over_chars);
    let marker_chars = CUT_MARKER.chars().count();
    let share = (keep_total / results.len().max(1))
        .saturating_sub(marker_chars)
        .max(TOOL_RESULT_CHARS_MIN);
    let mut cut = false;
    for i in results {
        let content = &mut added[i].content;
        if content.chars().count() > share + marker_chars {
            *content = format!("{}{CUT_MARKER}", clip_chars(content, share));
            cut = true;
        }
    }
    cut
}

fn clip_chars(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

#[cfg(test)]
#[path = "task_prompt_tests.rs"]
mod tests;
