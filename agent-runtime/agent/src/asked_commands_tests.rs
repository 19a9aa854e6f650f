//! Asked commands: which texts ask for a command, what becomes a job, and the answers for a
//! command that ran, failed to be recorded, or never got its turn.

#![allow(clippy::unwrap_used)]

use shared::AgentId;

use crate::test_fixtures::{author, post_to};

use super::*;

fn post(id: u64, agent: Option<u64>, body: &str) -> BoardPost {
    post_to(AgentId(7), id, author("hana", agent), "A task", body)
}

fn shell(command: &str) -> Intent {
    Intent::Tool {
        request: ToolRequest::Shell {
            command: command.into(),
        },
    }
}

fn ran(command_output: &str, exit: i32) -> ToolRun {
    ToolRun {
        call_id: "a7-s3-0-1f".into(),
        tool: shared::ToolKind::Shell,
        outcome: if exit == 0 {
            ToolOutcome::Ok
        } else {
            ToolOutcome::Failed
        },
        exit_code: Some(exit),
        output: command_output.into(),
        output_bytes: command_output.len() as u64,
        duration_ms: 4,
    }
}

#[test]
fn a_command_is_read_from_run_and_backticks_only() {
    // `run` in any case, with or without a colon, then one backticked line; anything else
    // asks for nothing.
    assert_eq!(
        requested_command("Could you run `uname -s` for me?").as_deref(),
        Some("uname -s")
    );
    assert_eq!(
        requested_command("RUN: `ls -la`").as_deref(),
        Some("ls -la")
    );
    assert_eq!(
        requested_command("héllo — please run `echo é`").as_deref(),
        Some("echo é")
    );
    assert_eq!(requested_command("run uname"), None);
    assert_eq!(requested_command("run `unclosed"), None);
    assert_eq!(requested_command("run ``"), None);
    assert_eq!(requested_command("run `a\nb`"), None);
    let long = format!("run `{}`", "x".repeat(COMMAND_CHARS_MAX + 1));
    assert_eq!(requested_command(&long), None);
    assert_eq!(
        requested_command("run `` and then run `date`").as_deref(),
        Some("date")
    );
}

#[test]
fn only_peoples_open_posts_become_jobs_and_the_queue_is_bounded() {
    // An agent's post and a post without a command are not taken; a person's is, once; past
    // the bound a new one is refused.
    let mut asked = AskedCommands::default();
    assert!(!asked.take(&post(1, Some(9), "run `id`")));
    assert!(!asked.take(&post(2, None, "how are you?")));
    assert!(asked.take(&post(3, None, "run `id`")));
    assert!(asked.take(&post(3, None, "run `id`")));
    assert_eq!(asked.jobs.len(), 1);
    for id in 4..(4 + JOBS_MAX as u64 - 1) {
        assert!(asked.take(&post(id, None, &format!("run `echo {id}`"))));
    }
    assert!(!asked.take(&post(99, None, "run `echo late`")));
    assert_eq!(asked.jobs.len(), JOBS_MAX);
}

#[test]
fn a_command_that_ran_is_answered_with_its_output_and_source() {
    // The answer quotes the output and names the command, its exit code and the call id.
    let mut asked = AskedCommands::default();
    asked.take(&post(5, None, "please run `uname -s`"));
    assert_eq!(asked.next_intent(), Some(shell("uname -s")));
    let answers = asked.recall(
        "Ada",
        &[(shell("uname -s"), Outcome::Ran(ran("Linux\n", 0)))],
    );
    assert_eq!(answers.len(), 1);
    let (post_id, body) = &answers[0];
    assert_eq!(*post_id, PostId(5));
    assert!(body.contains("I ran `uname -s`"), "{body}");
    assert!(body.contains("```\nLinux\n```"), "{body}");
    assert!(body.contains("exit code 0"), "{body}");
    assert!(body.contains("tool call a7-s3-0-1f"), "{body}");
    assert!(body.chars().count() <= 2_000);
    assert_eq!(asked.next_intent(), None);
}

#[test]
fn a_run_whose_output_reports_errors_is_not_called_a_success() {
    // Four commands of which three failed, the last `echo` exiting 0: the answer says the
    // output reports errors and never that it succeeded; a clean run only gives its code.
    let mut asked = AskedCommands::default();
    let command = "a; b; c; echo done";
    asked.take(&post(6, None, &format!("run `{command}`")));
    let output = "sh: a: not found\nsh: b: not found\nsh: c: not found\ndone\n";
    let answers = asked.recall("Ada", &[(shell(command), Outcome::Ran(ran(output, 0)))]);
    let body = &answers[0].1;
    assert!(body.contains("output reports errors"), "{body}");
    assert!(!body.contains("succeeded"), "{body}");
    asked.take(&post(7, None, "run `uname -s`"));
    let clean = asked.recall(
        "Ada",
        &[(shell("uname -s"), Outcome::Ran(ran("Linux\n", 0)))],
    );
    assert!(
        clean[0].1.contains("it exited with code 0."),
        "{}",
        clean[0].1
    );
}

#[test]
fn a_long_output_is_cut_and_the_answer_says_so() {
    // Output past the quote bound is cut, the answer names the full size, and the longest
    // command with the longest quote still fits a reply.
    let mut asked = AskedCommands::default();
    let command = "y".repeat(COMMAND_CHARS_MAX);
    asked.take(&post(6, None, &format!("run `{command}`")));
    asked.next_intent();
    let mut run = ran(&"z".repeat(4_000), 1);
    run.output_bytes = 90_000;
    let answers = asked.recall("Ada", &[(shell(&command), Outcome::Ran(run))]);
    let body = &answers[0].1;
    assert!(body.contains("failed with exit code 1"), "{body}");
    assert!(body.contains("the first part of 90000 bytes"), "{body}");
    assert!(body.chars().count() <= 2_000, "{}", body.chars().count());
}

#[test]
fn an_unrecorded_call_is_tried_again_then_answered_honestly() {
    // A call the server did not record is tried up to the limit, then answered with why; a
    // step cut off before the last try gives the command up too.
    let failed = Outcome::Failed {
        status: None,
        code: "timeout".into(),
    };
    let mut asked = AskedCommands::default();
    asked.take(&post(7, None, "run `date`"));
    for _ in 1..JOB_ATTEMPTS_MAX {
        assert_eq!(asked.next_intent(), Some(shell("date")));
        assert!(
            asked
                .recall("Ada", &[(shell("date"), failed.clone())])
                .is_empty()
        );
    }
    asked.next_intent();
    let answers = asked.recall("Ada", &[(shell("date"), failed)]);
    assert!(
        answers[0]
            .1
            .contains("could not run `date` for you (timeout)"),
        "{answers:?}"
    );
    assert_eq!(asked.next_intent(), None);

    asked.take(&post(8, None, "run `id`"));
    for _ in 0..JOB_ATTEMPTS_MAX {
        asked.next_intent();
    }
    let answers = asked.recall("Ada", &[]);
    assert!(answers[0].1.contains("(step_timeout)"), "{answers:?}");
}

#[test]
fn a_refused_command_is_answered_with_why_and_cites_no_record() {
    // A call not run (a tier without tool runs) is answered with the reason, and no transcript
    // entry is named, since none may exist.
    let mut asked = AskedCommands::default();
    asked.take(&post(9, None, "run `ls`"));
    asked.next_intent();
    let mut run = ran("the tier allows no tool runs", 0);
    (run.outcome, run.exit_code) = (ToolOutcome::Refused, None);
    let answers = asked.recall("Ada", &[(shell("ls"), Outcome::Ran(run))]);
    let body = &answers[0].1;
    assert!(
        body.contains("could not run `ls` for you (the tier allows no tool runs)"),
        "{body}"
    );
    assert!(!body.contains("transcript"), "{body}");
}
