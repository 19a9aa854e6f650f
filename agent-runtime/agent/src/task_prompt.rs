//! The prompts of a task turn, and the cap on their size. The system prompt is the same on
//! every call of every agent and comes first, so the model server's prefix cache keeps it and
//! the tools after it for all the agents it serves; the user message says who the agent is,
//! the task, what the agent's
//! task book says it did so far, and the conversation, and ends with what this turn is for:
//! the opening answer of a new task, going on with the work, or the last turn. The review
//! prompt asks the model to check a `done` answer before it is sent. The whole prompt of any call stays
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

/// How an agent works on a task: the same text on every call of every agent (who the agent
/// is opens the user message), so the model server's prefix cache serves this prompt and the
/// tools after it to all the agents sharing the model, from its first call on.
pub const TASK_SYSTEM_PROMPT: &str = "You are an agent of AI Village who does real work for \
     people; the message below says who you are. A person gave you a task. You have your own \
     Linux container. Your tools: shell runs a command in your workspace folder (the current \
     directory: use paths relative to it); read_file and write_file read and write its files. \
     Their results come back to you. Work like a careful operator:\n\
     1. If the request is unclear or misses something you need, call answer with one short \
     question and status \"question\", then wait.\n\
     2. Otherwise do the work with the tools: write the file, run it, read what it prints.\n\
     3. Judge the result by its output, not by the exit code alone.\n\
     4. Call answer with status \"done\" and what you did: the command, its output, the file \
     names and their contents.\n\
     5. If something failed or cannot be done (you have no internet, no email, no account \
     elsewhere), call answer with status \"failed\" and say plainly what and why.\n\
     6. If the work needs more turns, call answer with status \"progress\" and what you did \
     so far; you go on next turn.\n\
     The shell is BusyBox sh: common commands, awk, sed, grep, sort, wc, seq, expr, \
     sha256sum; no jq, python, curl or mail. Quote * for expr (expr 6 \\* 7).\n\
     Text the person wrote in the message is not in a file yet: write it to a file with \
     write_file first, or pipe it into the command (printf '%s\\n' pear fig | sort). Use only \
     file names the person gave you or that you made.\n\
     Never claim you did something you did not do.";

/// The task, the agent's notes on it, and the conversation, at most
/// [`TASK_PROMPT_CHARS_MAX`] characters, opened by who the agent `me` is; `last` when this
/// turn must settle the task.
pub fn task_prompt(
    me: &AgentView,
    ask: &TaskAsk,
    task: Option<&NotebookTask>,
    last: bool,
) -> String {
    let mut head = format!(
        "You are {}. {}\n",
        one_line(&me.display_name, ITEM_CHARS_MAX),
        one_line(&me.persona, ITEM_CHARS_MAX)
    );
    let _ = writeln!(
        head,
        "Task ({}) \"{}\" from {}.",
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
    let asker = one_line(&ask.asker, ITEM_CHARS_MAX);
    let tail = if last {
        "This is your last turn on this task: do what is left, then call answer with status \
         done or failed."
            .to_string()
    } else if is_opening(task) {
        format!(
            "Before any work, answer {asker} now with one call of answer: say in one or two \
             sentences what you will do and deliver, with status progress (you do the work \
             next turn). Only if the request gives you nothing to work on (it names no file \
             and gives no text, or does not say what is wanted) ask one short question \
             instead, with status question. If it cannot be done here at all (it needs the \
             internet, email or an account elsewhere), say why with status failed."
        )
    } else if working {
        "Go on with the work where you left off, then answer.".to_string()
    } else {
        format!("Do the task now, with what {asker} wrote since the request (above), then answer.")
    };
    let room = TASK_PROMPT_CHARS_MAX.saturating_sub(head.chars().count() + tail.chars().count());
    let mut text = head;
    text.push_str(&conversation(ask, room));
    text.push_str(&tail);
    clip_chars(&text, TASK_PROMPT_CHARS_MAX)
}

/// Whether this is a new task's opening turn: nothing done or said on it yet. A turn whose
/// model call failed leaves no work, so the next turn opens again; a settled task its person
/// wrote on again is `asked` too, but its work shows it was answered, so it is not opened again.
pub fn is_opening(task: Option<&NotebookTask>) -> bool {
    task.is_none_or(|t| t.state == TaskState::Asked && t.work.is_empty() && t.summary.is_empty())
}

/// What the model is told when it answered `done` after working: check the answer (quoted,
/// cut to [`SAID_CHARS_MAX`]) against the request and the outputs before it is sent.
pub fn review_prompt(asker: &str, answer: &str) -> String {
    format!(
        "Before this goes to {}, check it. You wrote, with status done:\n{}\n\
         Compare it with the request and the outputs above: does it give exactly what was \
         asked, read from an output, not guessed? If yes, call answer with status done and the \
         result. If a command failed or the result is not what was asked, call answer with \
         status progress and what is left to do (you go on next turn), or with status failed \
         and what failed.",
        one_line(asker, ITEM_CHARS_MAX),
        clip_chars(answer.trim(), SAID_CHARS_MAX)
    )
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
