use serde_json::json;
use shared::{AccountId, AgentId, Chat, ChatId, ChatMessage, MessageId};

use super::*;
use crate::test_fixtures::{author, view};

fn completion(message: serde_json::Value) -> ChatCompletion {
    serde_json::from_value(json!({"choices": [{"message": message}]})).unwrap()
}

fn pending() -> PendingChat {
    let message = |id: u64, who: Option<u64>, body: &str| ChatMessage {
        id: MessageId(id),
        chat_id: ChatId(3),
        author: author(if who.is_some() { "Ada" } else { "sam" }, who),
        body: body.into(),
        created_at_ms: i64::try_from(id).unwrap(),
        held: false,
        labels: Vec::new(),
        hidden: false,
    };
    PendingChat {
        chat: Chat {
            id: ChatId(3),
            human_account_id: AccountId(40),
            human_name: "sam".into(),
            agent_id: AgentId(7),
            title: "Word counting script".into(),
            created_at_ms: 1,
            updated_at_ms: 3,
        },
        messages: vec![
            message(1, None, "Could you write a script that counts words?"),
            message(2, Some(7), "Which file?"),
            message(3, None, "notes.txt\nplease"),
        ],
        through: MessageId(3),
    }
}

#[test]
fn an_answer_call_or_plain_text_is_the_answer() {
    // `answer`'s text (arguments as a JSON text or object) is the answer, trimmed and cut; a
    // model that wrote only text answers with it; other calls or nothing are no answer.
    let called = completion(json!({"content": null, "tool_calls": [
        {"id": "c1", "function": {"name": "answer", "arguments": "{\"text\": \"  done: 3 words \"}"}}]}));
    assert_eq!(answer_text(&called).as_deref(), Some("done: 3 words"));
    let object = completion(json!({"tool_calls": [
        {"function": {"name": "answer", "arguments": {"text": "ok"}}}]}));
    assert_eq!(answer_text(&object).as_deref(), Some("ok"));
    let long = "x".repeat(ANSWER_CHARS_MAX + 50);
    let long = completion(json!({"content": long}));
    assert_eq!(
        answer_text(&long).unwrap().chars().count(),
        ANSWER_CHARS_MAX
    );
    let working = completion(json!({"content": "let me look", "tool_calls": [
        {"function": {"name": "shell", "arguments": "{\"command\": \"ls\"}"}}]}));
    assert_eq!(answer_text(&working), None);
    assert_eq!(answer_text(&completion(json!({"content": "  "}))), None);
    let empty = completion(json!({"tool_calls": [
        {"function": {"name": "answer", "arguments": "{\"text\": \"\"}"}}]}));
    assert_eq!(answer_text(&empty), None);
}

#[test]
fn the_prompt_shows_the_chat_and_the_system_prompt_is_stable() {
    // The chat's title, person and messages (the agent's own as "you") are in the prompt;
    // the system prompt depends on nothing but the agent, so its prefix caches.
    let me = view(AgentId(7), "Ada");
    let prompt = chat_prompt(&me, &pending());
    assert!(
        prompt.starts_with("Chat 3 \"Word counting script\" with sam:\n"),
        "{prompt}"
    );
    assert!(prompt.contains("sam: Could you write a script that counts words?\n"));
    assert!(prompt.contains("you: Which file?\n"));
    assert!(prompt.contains("sam: notes.txt\nplease\n"));
    assert_eq!(chat_system_prompt(&me), chat_system_prompt(&me));
    assert!(chat_system_prompt(&me).contains("Never claim you did something you did not do"));
}

#[test]
fn the_tools_end_with_answer_and_the_last_call_offers_it_alone() {
    // With a workspace: shell, read_file, write_file, http_fetch, then answer; answer alone
    // for the last call; without one, answer only.
    let tools = ChatTools::new(true);
    let names: Vec<&str> = tools.all.iter().map(|t| t.function.name).collect();
    assert_eq!(
        names,
        ["shell", "read_file", "write_file", "http_fetch", "answer"]
    );
    assert_eq!(tools.answer_only.len(), 1);
    assert_eq!(tools.answer_only[0].function.name, "answer");
    let bare = ChatTools::new(false);
    assert_eq!(bare.all.len(), 1);
}
