#![allow(clippy::unwrap_used)]

use shared::api::notebook::TaskSource;
use shared::{AgentId, ChatId, MessageId};

use super::*;
use crate::task_ask::{Said, Through};
use crate::test_fixtures::view;

fn said(mine: bool, body: &str) -> Said {
    Said {
        mine,
        who: if mine { "Ada".into() } else { "sam".into() },
        body: body.into(),
    }
}

fn ask(said: Vec<Said>) -> TaskAsk {
    TaskAsk {
        source: TaskSource::Chat(ChatId(3)),
        title: "Word counting script".into(),
        asker: "sam".into(),
        said,
        left_out: 0,
        through: Through::Chat(MessageId(3)),
    }
}

fn me() -> shared::AgentView {
    view(AgentId(7), "Ada")
}

fn task(state: TaskState, work: &[&str]) -> NotebookTask {
    NotebookTask {
        source: TaskSource::Chat(ChatId(3)),
        title: "Word counting script".into(),
        asker: "sam".into(),
        state,
        request: "count".into(),
        summary: "ran `ls` → ok".into(),
        work: work.iter().map(|w| w.to_string()).collect(),
        turns: 1,
        model_calls: 3,
        tool_calls: 1,
        opened_at_ms: 1,
        updated_at_ms: 2,
    }
}

#[test]
fn the_prompt_shows_the_task_what_was_done_and_the_conversation() {
    // Who it is, title, asker, state, the work from the book and the messages (its own as
    // "you"); the system prompt is every agent's, so its prefix caches for all of them.
    let conversation = vec![
        said(false, "Could you write a script that counts words?"),
        said(true, "Which file?"),
        said(false, "notes.txt\nplease"),
    ];
    let book = task(
        TaskState::Clarifying,
        &["answered (clarifying): Which file?"],
    );
    let prompt = task_prompt(&me(), &ask(conversation), Some(&book), false);
    assert!(
        prompt.starts_with(
            "You are Ada. Loves the library and old maps.\n\
             Task (chat 3) \"Word counting script\" from sam.\n"
        ),
        "{prompt}"
    );
    for needle in [
        "Where it stands: you asked a question",
        "- earlier: ran `ls` → ok\n",
        "- answered (clarifying): Which file?\n",
        "sam: Could you write a script that counts words?\n",
        "you: Which file?\n",
        "sam: notes.txt\nplease\n",
        "Do the task now, with what sam wrote since the request",
    ] {
        assert!(prompt.contains(needle), "{needle} not in {prompt}");
    }
    assert!(TASK_SYSTEM_PROMPT.contains("Never claim you did something you did not do"));
    assert!(
        !TASK_SYSTEM_PROMPT.contains("Ada"),
        "the system prompt names no agent"
    );
}

#[test]
fn a_working_task_goes_on_and_the_last_turn_must_settle() {
    // Progress reported: the prompt says to go on; on the last turn, to finish or fail.
    let conversation = vec![said(false, "Do it")];
    let working = task(TaskState::Working, &[]);
    let prompt = task_prompt(&me(), &ask(conversation.clone()), Some(&working), false);
    assert!(prompt.ends_with("Go on with the work where you left off, then answer."));
    let last = task_prompt(&me(), &ask(conversation), Some(&working), true);
    assert!(last.contains("last turn on this task"), "{last}");
}

#[test]
fn a_new_task_opens_with_a_question_a_plan_or_a_refusal_before_any_work() {
    // Nothing done or said on it yet (no book entry, listed as asked, or a turn whose model
    // call failed): the turn's prompt asks for one answer now; once anything was done or
    // answered, it does not, even when the person wrote again (asked again after an answer).
    let conversation = vec![said(false, "Please count the lines of my file.")];
    let mut new = task(TaskState::Asked, &[]);
    new.summary.clear();
    new.turns = 1;
    for book in [None, Some(new)] {
        assert!(is_opening(book.as_ref()));
        let prompt = task_prompt(&me(), &ask(conversation.clone()), book.as_ref(), false);
        assert!(
            prompt.contains("Before any work, answer sam now")
                && prompt.contains("status progress")
                && prompt.contains("status question"),
            "{prompt}"
        );
    }
    for state in [
        TaskState::Asked,
        TaskState::Clarifying,
        TaskState::Working,
        TaskState::Delivered,
        TaskState::Failed,
    ] {
        let book = task(state, &["answered (done): 3 lines"]);
        assert!(!is_opening(Some(&book)), "{state:?}");
        let prompt = task_prompt(&me(), &ask(conversation.clone()), Some(&book), false);
        assert!(!prompt.contains("Before any work"), "{prompt}");
    }
}

#[test]
fn the_review_quotes_the_answer_and_offers_confirming_going_on_or_failing() {
    let review = review_prompt("sam", "  It has 13 words.  ");
    assert!(review.contains("Before this goes to sam"), "{review}");
    assert!(review.contains("\nIt has 13 words.\n"), "{review}");
    for status in ["status done", "status progress", "status failed"] {
        assert!(review.contains(status), "{status} not in {review}");
    }
    let long = review_prompt("sam", &"z".repeat(SAID_CHARS_MAX * 2));
    assert!(!long.contains(&"z".repeat(SAID_CHARS_MAX + 1)));
}

#[test]
fn a_long_conversation_keeps_the_request_and_the_newest_within_the_cap() {
    // Forty long messages: the prompt stays under its cap, keeps the first (the request) and
    // the newest, and says how many it left out.
    let mut conversation = vec![said(false, "THE REQUEST")];
    conversation.extend((0..39).map(|i| said(i % 2 == 0, &format!("m{i} {}", "y".repeat(2_000)))));
    let prompt = task_prompt(&me(), &ask(conversation), None, false);
    assert!(prompt.chars().count() <= TASK_PROMPT_CHARS_MAX);
    assert!(prompt.contains("THE REQUEST"), "{prompt}");
    assert!(prompt.contains("m38 "), "the newest message is missing");
    assert!(prompt.contains("messages not shown)"), "{prompt}");
    assert!(!prompt.contains(&"y".repeat(SAID_CHARS_MAX + 1)));
}

#[test]
fn tool_results_are_cut_to_keep_every_call_under_the_token_cap() {
    // Results that would push the prompt past the cap are cut (each keeps a start), and the
    // turn is told to answer next; small results are left alone.
    let base = vec![
        ChatMessage::text("system", "s".repeat(3_000)),
        ChatMessage::text("user", "u".repeat(6_000)),
    ];
    let result = |n: usize| {
        let mut message = ChatMessage::text("tool", "o".repeat(n));
        message.tool_call_id = Some("c".into());
        message
    };
    let mut small = vec![result(500)];
    assert!(!fit_tool_results(&base, &mut small, 600));
    assert_eq!(small[0].content.len(), 500);
    let mut big = vec![result(4_000), result(4_000), result(4_000)];
    assert!(fit_tool_results(&base, &mut big, 600));
    let total = estimated_tokens(&base) + estimated_tokens(&big);
    assert!(total <= PROMPT_TOKENS_MAX - 600, "{total} tokens");
    assert!(big.iter().all(|m| m.content.starts_with("ooo")));
}

#[test]
fn the_tool_definitions_count_against_the_cap() {
    // The model server writes the tools' definitions into the prompt: a task turn's tools are
    // hundreds of tokens, and every added byte of them is counted.
    let tools = crate::task_turn::task_tools(true);
    let all = estimated_tool_tokens(&tools);
    let answer_only = estimated_tool_tokens(&crate::task_turn::task_tools(false));
    assert!(all > 200, "{all} tokens");
    assert!(
        answer_only > 50 && answer_only < all,
        "{answer_only} of {all}"
    );
    let json = serde_json::to_string(&tools).unwrap();
    assert_eq!(all, json.chars().count().div_ceil(CHARS_PER_TOKEN));
    assert_eq!(estimated_tool_tokens(&[]), 1);
}
