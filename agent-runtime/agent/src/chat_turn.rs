//! The LLM brain's turn for a task chat: a person wrote to the agent, and the agent works on it
//! like an operator. The model sees who it is and the chat's latest messages, may run the
//! container's tools (their results come back within the turn) for up to
//! [`CHAT_CALLS_MAX`] calls, and ends with `answer`, whose text goes to the chat as written.
//! The last call offers `answer` alone, so every turn that reaches the model ends in an answer.
//! The system prompt and the tools are the same on every call of an agent (its name and
//! persona are all that vary), so the model server's prompt cache keeps them. This file
//! builds the prompts and reads the answer; the brain owns the pause after failures, and the
//! loop sends the message.

use std::fmt::Write as _;

use serde_json::json;
use shared::AgentView;

use super::brain::{DecideAct, Decision, Intent};
use super::chat_watch::PendingChat;
use super::client::{ApiClient, ClientError};
use super::llm_brain::COMPLETION_TOKENS_MAX;
use super::llm_prompt::{ITEM_CHARS_MAX, one_line};
use super::llm_tool_round::{Turn, run_tool_round};
use super::llm_tools::{arguments, function, read_tool_calls, workspace_tool_definitions};
use super::openai::{ChatCompletion, ChatMessage, ChatRequest, ToolDefinition};
use super::tools::{ToolLimits, Toolbox};

/// Model calls in one chat turn, the last of them for the answer.
pub const CHAT_CALLS_MAX: usize = 4;
/// Longest chat message quoted in the prompt, in characters.
pub const CHAT_MESSAGE_CHARS_MAX: usize = 1_500;
/// Longest answer sent, in characters (the server takes up to 4,000 by default).
pub const ANSWER_CHARS_MAX: usize = 3_000;
/// The tool that ends the turn.
const ANSWER: &str = "answer";

/// The tools of a chat turn: the container's, then `answer`; and `answer` alone.
#[derive(Debug, Clone)]
pub struct ChatTools {
    pub all: Vec<ToolDefinition>,
    pub answer_only: Vec<ToolDefinition>,
}

impl ChatTools {
    /// With `workspace`, the container's tools come first.
    pub fn new(workspace: bool) -> ChatTools {
        let answer = function(
            ANSWER,
            "Write to the person in this chat: a clarifying question, or what you did and its \
             result (the output, the files and their contents). Say plainly what failed or \
             cannot be done.",
            json!({"type": "object", "additionalProperties": false,
                "properties": {"text": {"type": "string", "minLength": 1,
                                        "maxLength": ANSWER_CHARS_MAX}},
                "required": ["text"]}),
        );
        let mut all = if workspace {
            workspace_tool_definitions()
        } else {
            Vec::new()
        };
        all.push(answer.clone());
        ChatTools {
            all,
            answer_only: vec![answer],
        }
    }
}

/// What the turn needs besides the chat.
pub(super) struct ChatTurn<'a> {
    pub me: &'a AgentView,
    pub step: u64,
    pub model: &'a str,
    pub tools: &'a ChatTools,
    pub toolbox: Option<&'a Toolbox>,
    pub limits: ToolLimits,
    pub client: &'a ApiClient,
}

/// How a chat turn ended: its decision, or the gateway's failure (after `requests` requests).
pub(super) enum ChatTurnEnd {
    Answered(Decision),
    Failed {
        error: ClientError,
        decision: Decision,
    },
}

/// Works on `pending` and answers it.
pub(super) async fn answer_chat(turn: ChatTurn<'_>, pending: &PendingChat) -> ChatTurnEnd {
    let mut messages = vec![
        ChatMessage::text("system", chat_system_prompt(turn.me)),
        ChatMessage::text("user", chat_prompt(turn.me, pending)),
    ];
    let mut decision = Decision::default();
    for round in 0..CHAT_CALLS_MAX {
        let last = round + 1 == CHAT_CALLS_MAX;
        let request = ChatRequest {
            model: turn.model,
            messages: messages.clone(),
            tools: if last {
                &turn.tools.answer_only
            } else {
                &turn.tools.all
            },
            tool_choice: if last { "required" } else { "auto" },
            max_tokens: COMPLETION_TOKENS_MAX,
        };
        let answer = turn.client.chat_completion(&request).await;
        decision.requests += 1;
        let completion = match answer {
            Ok(completion) => completion,
            Err(error) => return ChatTurnEnd::Failed { error, decision },
        };
        decision.acts.push(DecideAct {
            kind: "llm",
            error: None,
        });
        if let Some(text) = answer_text(&completion) {
            decision.intents.push(Intent::ChatMessage {
                chat_id: pending.chat.id,
                body: text,
                through: pending.through,
            });
            return ChatTurnEnd::Answered(decision);
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
            round,
            limits: turn.limits,
        };
        let tools = run_tool_round(toolbox, turn.client, &completion, &read, ids).await;
        decision.requests += tools.requests;
        decision.acts.extend(tools.acts);
        messages.extend(tools.messages);
    }
    // Only a model that never called `answer`, even when offered nothing else, gets here.
    decision.acts.push(DecideAct {
        kind: "llm_tool",
        error: Some("no_answer".into()),
    });
    ChatTurnEnd::Answered(decision)
}

/// The text of an `answer` call, or of a plain text answer (a model that wrote no tool call),
/// cut to [`ANSWER_CHARS_MAX`]; `None` when it called other tools or wrote nothing.
fn answer_text(completion: &ChatCompletion) -> Option<String> {
    let message = &completion.choices.first()?.message;
    let calls = message.tool_calls.as_deref().unwrap_or_default();
    let called = calls.iter().filter_map(|c| c.function.as_ref());
    let text = match called.clone().find(|f| f.name == ANSWER) {
        Some(call) => arguments(call).ok()?.get("text")?.as_str()?.to_string(),
        None if called.count() == 0 => message.content.clone()?,
        None => return None,
    };
    let text = text.trim();
    (!text.is_empty()).then(|| text.chars().take(ANSWER_CHARS_MAX).collect())
}

/// Who the agent is and how it works on a chat: the same text on every call.
pub fn chat_system_prompt(me: &AgentView) -> String {
    let name = one_line(&me.display_name, ITEM_CHARS_MAX);
    let persona = one_line(&me.persona, ITEM_CHARS_MAX);
    format!(
        "You are {name}, an agent of AI Village who does real work for people. {persona}\n\
         A person wrote to you in a task chat. You have your own Linux container: shell runs a \
         command in your workspace folder (the current directory: use paths relative to it), \
         read_file and write_file read and write its files; their results come back to you. \
         Work like a careful operator:\n\
         1. If the request is unclear, call answer with one short question and stop.\n\
         2. Otherwise do the work with the tools: write the file, run it, read what it prints.\n\
         3. Judge the result by its output, not by the exit code alone.\n\
         4. Call answer with what you did and the result: the command, its output, the file \
         names and their contents. If something failed or cannot be done, say so plainly and \
         why. Never claim you did something you did not do."
    )
}

/// The chat: its title, person and latest messages, oldest first, each cut to
/// [`CHAT_MESSAGE_CHARS_MAX`].
pub fn chat_prompt(me: &AgentView, pending: &PendingChat) -> String {
    let chat = &pending.chat;
    let mut text = format!(
        "Chat {} \"{}\" with {}:\n",
        chat.id,
        one_line(&chat.title, ITEM_CHARS_MAX),
        one_line(&chat.human_name, ITEM_CHARS_MAX)
    );
    for message in &pending.messages {
        let who = if message.author.agent_id == Some(me.id) {
            "you".to_string()
        } else {
            one_line(&message.author.name, ITEM_CHARS_MAX)
        };
        let body: String = message.body.chars().take(CHAT_MESSAGE_CHARS_MAX).collect();
        // Writing to a String cannot fail.
        let _ = writeln!(text, "{who}: {body}");
    }
    text.push_str("Work on the person's latest message now, then answer.");
    text
}

#[cfg(test)]
#[path = "chat_turn_tests.rs"]
mod tests;
