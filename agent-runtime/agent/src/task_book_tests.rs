#![allow(clippy::unwrap_used)]

use shared::ChatId;

use super::*;

fn chat(id: u64) -> TaskSource {
    TaskSource::Chat(ChatId(id))
}

fn turn(state: TaskState, work: &[&str]) -> TurnRecord {
    TurnRecord {
        state: Some(state),
        model_calls: 2,
        tool_calls: 1,
        work: work.iter().map(|w| w.to_string()).collect(),
    }
}

#[test]
fn a_task_moves_through_its_states_and_survives_a_restart() {
    // Asked, then a question (clarifying), the person answers (asked again), then delivered;
    // a book reopened from the same workspace holds the same task, counts and work.
    let dir = tempfile::tempdir().unwrap();
    let mut book = TaskBook::open(dir.path());
    book.note_asked(chat(3), "Word count", "sam", "Count the words, please");
    assert_eq!(book.task(chat(3)).unwrap().state, TaskState::Asked);
    book.record_turn(
        chat(3),
        turn(TaskState::Clarifying, &["asked: which file?"]),
    );
    assert_eq!(book.task(chat(3)).unwrap().state, TaskState::Clarifying);
    book.note_asked(chat(3), "ignored", "ignored", "ignored");
    let task = book.task(chat(3)).unwrap();
    assert_eq!(
        (task.state, task.title.as_str()),
        (TaskState::Asked, "Word count")
    );
    book.record_turn(
        chat(3),
        turn(TaskState::Delivered, &["ran `wc -w notes.txt` → exit 0: 3"]),
    );
    assert!(book.take_changed());
    assert!(!book.take_changed());

    let again = TaskBook::open(dir.path());
    let task = again.task(chat(3)).unwrap();
    assert_eq!(task.state, TaskState::Delivered);
    assert_eq!((task.turns, task.model_calls, task.tool_calls), (2, 4, 2));
    assert_eq!(task.work.len(), 2);
    assert_eq!(task.request, "Count the words, please");
}

#[test]
fn old_work_is_folded_into_a_bounded_summary() {
    // However many turns a task takes, its work lines and summary stay within their limits,
    // the newest lines kept whole and the newest folded text kept in the summary.
    let dir = tempfile::tempdir().unwrap();
    let mut book = TaskBook::open(dir.path());
    book.note_asked(chat(1), "Long job", "sam", "Do a long job");
    for i in 0..200 {
        let line = format!("ran step {i}: {}", "x".repeat(500));
        book.record_turn(chat(1), turn(TaskState::Working, &[line.as_str()]));
    }
    let task = book.task(chat(1)).unwrap();
    assert_eq!(task.work.len(), NOTEBOOK_WORK_LINES_MAX);
    assert!(task.work.last().unwrap().starts_with("ran step 199"));
    assert!(
        task.work
            .iter()
            .all(|w| w.chars().count() <= NOTEBOOK_WORK_LINE_CHARS_MAX)
    );
    assert!(task.summary.chars().count() <= NOTEBOOK_SUMMARY_CHARS_MAX);
    let folded_last = format!("ran step {}", 199 - NOTEBOOK_WORK_LINES_MAX);
    assert!(task.summary.contains(&folded_last), "{}", task.summary);
    book.notebook("life").check().unwrap();
}

#[test]
fn the_book_keeps_its_task_limit_dropping_settled_tasks_first() {
    // Past the limit the least recently touched settled task goes; unsettled ones stay.
    let dir = tempfile::tempdir().unwrap();
    let mut book = TaskBook::open(dir.path());
    book.note_asked(chat(0), "first", "sam", "still open");
    for id in 1..=NOTEBOOK_TASKS_MAX as u64 {
        book.note_asked(chat(id), "t", "sam", "r");
        book.record_turn(chat(id), turn(TaskState::Delivered, &[]));
    }
    assert_eq!(book.tasks().count(), NOTEBOOK_TASKS_MAX);
    assert!(
        book.task(chat(0)).is_some(),
        "the unsettled task was dropped"
    );
    assert!(
        book.task(chat(1)).is_none(),
        "the oldest settled task stayed"
    );
    book.notebook("").check().unwrap();
}

#[test]
fn the_work_budget_counts_from_the_persons_latest_words() {
    // Calls spent since the person last wrote; their new message starts the count afresh.
    let dir = tempfile::tempdir().unwrap();
    let mut book = TaskBook::open(dir.path());
    book.note_asked(chat(5), "t", "sam", "r");
    book.record_turn(chat(5), turn(TaskState::Working, &["progress"]));
    book.record_turn(chat(5), turn(TaskState::Clarifying, &["question"]));
    assert_eq!(book.spent_since_ask(chat(5)), 4);
    book.note_asked(chat(5), "t", "sam", "the answer");
    assert_eq!(book.spent_since_ask(chat(5)), 0);
    assert_eq!(book.task(chat(5)).unwrap().model_calls, 4);
    assert_eq!(book.spent_since_ask(chat(6)), 0);
}

#[test]
fn a_draft_waits_until_dropped_and_one_per_post() {
    // A newer answer to the same post replaces the older; dropping returns it.
    let dir = tempfile::tempdir().unwrap();
    let mut book = TaskBook::open(dir.path());
    for (body, through) in [("first", 0), ("second", 4)] {
        book.keep_draft(Draft {
            post_id: PostId(9),
            body: body.into(),
            through,
        });
    }
    assert_eq!(book.drafts().len(), 1);
    let reopened = TaskBook::open(dir.path());
    assert_eq!(reopened.drafts()[0].body, "second");
    assert_eq!(book.drop_draft(PostId(9)).unwrap().through, 4);
    assert!(book.drafts().is_empty());
}

#[test]
fn an_unreadable_book_starts_empty() {
    // A corrupt file is not fatal: the agent starts a fresh book.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(TASK_BOOK_FILE), b"{not json").unwrap();
    let book = TaskBook::open(dir.path());
    assert_eq!(book.tasks().count(), 0);
}
