#![allow(clippy::unwrap_used)]

use serde_json::json;

use super::*;

fn completion(message: serde_json::Value) -> ChatCompletion {
    serde_json::from_value(json!({"choices": [{"message": message}]})).unwrap()
}

fn answer_call(arguments: serde_json::Value) -> ChatCompletion {
    completion(json!({"content": null, "tool_calls": [
        {"id": "c1", "function": {"name": "answer", "arguments": arguments.to_string()}}]}))
}

#[test]
fn an_answers_status_sets_the_tasks_state() {
    // question → clarifying, progress → working, done → delivered, failed → failed; the text
    // is trimmed and cut to its limit.
    for (status, state) in [
        ("question", TaskState::Clarifying),
        ("progress", TaskState::Working),
        ("done", TaskState::Delivered),
        ("failed", TaskState::Failed),
    ] {
        let answer = read_answer(
            &answer_call(json!({"text": " ok ", "status": status})),
            false,
        );
        assert_eq!(
            answer,
            Some(TaskAnswer {
                text: "ok".into(),
                state
            })
        );
    }
    let long = "x".repeat(ANSWER_CHARS_MAX + 50);
    let answer = read_answer(&answer_call(json!({"text": long, "status": "done"})), false);
    assert_eq!(answer.unwrap().text.chars().count(), ANSWER_CHARS_MAX);
}

#[test]
fn progress_on_the_last_turn_is_a_failure_not_an_open_end() {
    // The last turn must settle the task: a model that still says progress has failed it.
    let answer = read_answer(
        &answer_call(json!({"text": "still going", "status": "progress"})),
        true,
    );
    assert_eq!(answer.unwrap().state, TaskState::Failed);
}

#[test]
fn plain_text_is_an_answer_read_by_its_last_character() {
    // A model that wrote no tool call answers with its text: a question mark makes it a
    // question; other calls or nothing are no answer.
    let question = read_answer(&completion(json!({"content": "Which file?"})), false);
    assert_eq!(question.unwrap().state, TaskState::Clarifying);
    let told = read_answer(&completion(json!({"content": "It has 3 words."})), false);
    assert_eq!(told.unwrap().state, TaskState::Delivered);
    let working = completion(json!({"content": "let me look", "tool_calls": [
        {"function": {"name": "shell", "arguments": "{\"command\": \"ls\"}"}}]}));
    assert_eq!(read_answer(&working, false), None);
    assert_eq!(
        read_answer(&completion(json!({"content": "  "})), false),
        None
    );
    let empty = answer_call(json!({"text": "", "status": "done"}));
    assert_eq!(read_answer(&empty, false), None);
}

#[test]
fn every_call_offers_the_same_tools_and_an_answer_is_forced_by_name() {
    // With a workspace: shell, read_file, write_file, http_fetch, then answer, whose status
    // takes all four values; a call that must answer names it, so the tools (and the prompt
    // the chat template writes them into) stay the same on every call.
    let tools = task_tools(true);
    let names: Vec<&str> = tools.iter().map(|t| t.function.name).collect();
    assert_eq!(
        names,
        ["shell", "read_file", "write_file", "http_fetch", "answer"]
    );
    let schema = serde_json::to_value(&tools[4]).unwrap();
    assert_eq!(
        schema["function"]["parameters"]["properties"]["status"]["enum"],
        json!(["question", "progress", "done", "failed"])
    );
    assert_eq!(task_tools(false).len(), 1);
    let forced = serde_json::to_value(ToolChoice::Function(ANSWER)).unwrap();
    assert_eq!(
        forced,
        json!({"type": "function", "function": {"name": "answer"}})
    );
    assert_eq!(
        serde_json::to_value(ToolChoice::Auto).unwrap(),
        json!("auto")
    );
}

#[test]
fn an_opening_is_a_question_by_its_question_mark_else_the_plan() {
    // The status a small model picks for its opening is unreliable: the text decides.
    let answer = |text: &str, state| TaskAnswer {
        text: text.into(),
        state,
    };
    let cases = [
        (
            "Which file should I count?",
            TaskState::Delivered,
            TaskState::Clarifying,
        ),
        (
            "I will create people.csv.",
            TaskState::Clarifying,
            TaskState::Working,
        ),
        ("The total is 55.", TaskState::Delivered, TaskState::Working),
        (
            "I cannot send email from here.",
            TaskState::Failed,
            TaskState::Failed,
        ),
    ];
    for (text, status, state) in cases {
        assert_eq!(opening_state(&answer(text, status)), state, "{text}");
    }
}
