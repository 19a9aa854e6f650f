//! The operator benchmark's graders: pure functions of the agent's answer text and of what a
//! command printed in its workspace, against what a task expects (`tasks.rs`). They decide
//! right or wrong, a reported failure, a question; the scripted person calls them, and the
//! bench checks them on known answers before it runs.

use crate::tasks::{Expect, Says, TASKS, by_name};

/// `text` without thousands separators between digits (`1,234` and `1 234` read `1234`).
fn plain_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    for (i, c) in chars.iter().enumerate() {
        let between_digits = i > 0
            && chars[i - 1].is_ascii_digit()
            && chars.get(i + 1).is_some_and(char::is_ascii_digit);
        if between_digits && matches!(c, ',' | '_' | '\'' | ' ' | '\u{202f}') {
            continue;
        }
        out.push(*c);
    }
    out
}

/// Whether `text` holds `number` as a whole number (no digit right before or after it).
pub fn holds_number(text: &str, number: &str) -> bool {
    let text = plain_numbers(text);
    text.match_indices(number).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + number.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_digit()) && !after.is_some_and(|c| c.is_ascii_digit())
    })
}

/// Lowercase words of `text`, punctuation dropped, one space between.
fn words(text: &str) -> String {
    let spaced: String = text
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                ' '
            }
        })
        .collect();
    spaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether the answer text holds what `says` asks for; `truth` is what the [`Says::Truth`]
/// command printed.
pub fn answer_holds(says: Says, answer: &str, truth: Option<&str>) -> bool {
    match says {
        Says::Numbers(numbers) => numbers.iter().all(|n| holds_number(answer, n)),
        Says::Texts(texts) => {
            let lower = answer.to_lowercase();
            texts.iter().all(|t| lower.contains(&t.to_lowercase()))
        }
        Says::Sequence(sequence) => {
            format!(" {} ", words(answer)).contains(&format!(" {sequence} "))
        }
        Says::Truth(_) => truth.map(str::trim).is_some_and(|truth| {
            !truth.is_empty()
                && if truth.bytes().all(|b| b.is_ascii_digit()) {
                    holds_number(answer, truth)
                } else {
                    answer.contains(truth)
                }
        }),
        Says::Failure => true,
    }
}

/// Phrases that report a failure or an impossibility (lowercase).
const FAILURE_PHRASES: &[&str] = &[
    "cannot",
    "can't",
    "can not",
    "unable",
    "not able",
    "impossible",
    "not possible",
    "failed",
    "fails",
    "couldn't",
    "could not",
    "won't be able",
    "no internet",
    "no network",
    "no access",
    "not have access",
    "don't have",
    "do not have",
    "not available",
    "isn't available",
    "unavailable",
    "not supported",
    "unreachable",
    "bad address",
    "timed out",
    "sorry",
    "no email",
    "not connected",
    "offline",
    "no such file",
    "not found",
];

/// Whether `answer` says the task failed or cannot be done.
pub fn reports_failure(answer: &str) -> bool {
    let lower = answer.to_lowercase().replace('’', "'");
    FAILURE_PHRASES.iter().any(|p| lower.contains(p))
}

/// Whether `answer` asks the person something.
pub fn asks(answer: &str) -> bool {
    answer.contains('?')
}

/// Whether `answer` ends on a question: the agent waits for the person.
pub fn ends_asking(answer: &str) -> bool {
    answer.trim_end().ends_with('?')
}

/// Non-empty lines of `output`, each without trailing spaces or `\r`.
fn lines(output: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = output.lines().map(str::trim_end).collect();
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines
}

/// Whether `printed` (what the check's command printed) is what `expect` wants.
pub fn workspace_holds(expect: Expect, printed: &str) -> bool {
    match expect {
        Expect::Lines(want) => lines(printed) == want,
        Expect::Json(want) => {
            let want: serde_json::Value = serde_json::from_str(want).unwrap_or_default();
            serde_json::from_str::<serde_json::Value>(printed).is_ok_and(|got| got == want)
        }
    }
}

/// Checks the graders on answers whose grade is known; the bench runs it first (a harness =
/// false target has no test runner), so a grader that cannot fail stops the run.
pub fn check_graders() {
    let grade = |name: &str, answer: &str| {
        let task = by_name(name).expect("a task of the list");
        answer_holds(task.says, answer, Some("2\n"))
    };
    let cases = [
        ("kernel", "It runs Linux (uname -s).", true),
        ("kernel", "It runs Darwin.", false),
        ("multiply", "It is 121,932,631,112,635,269.", true),
        ("multiply", "About 1.21933e+17.", false),
        ("fix_sum", "It printed 55 now.", true),
        ("fix_sum", "It printed 45.", false),
        ("fix_sum", "It printed 555.", false),
        ("sort_words", "apple, banana, cherry, fig, pear", true),
        (
            "sort_words",
            "pear apple fig banana cherry -> sorted",
            false,
        ),
        ("cpus", "nproc says 2.", true),
        ("cpus", "nproc says 12.", false),
    ];
    for (name, answer, right) in cases {
        assert_eq!(grade(name, answer), right, "grader of {name} on {answer:?}");
    }
    assert!(reports_failure("I can’t reach the internet from here."));
    assert!(!reports_failure("Sent: your boss has the email."));
    assert!(reports_failure(
        "cat: config.json: No such file or directory"
    ));
    assert!(workspace_holds(
        Expect::Json(r#"{"a": 1}"#),
        "{ \"a\" : 1 }\n"
    ));
    assert!(!workspace_holds(
        Expect::Json(r#"{"a": 1}"#),
        "{\"a\": \"1\"}"
    ));
    assert!(workspace_holds(Expect::Lines(&["a", "b"]), "a\r\nb  \n\n"));
    let mut titles: Vec<&str> = TASKS.iter().map(|t| t.title).collect();
    titles.sort_unstable();
    titles.dedup();
    assert_eq!(titles.len(), TASKS.len(), "task titles must be unique");
}
