use std::time::{Duration, Instant};

use shared::tool_call::{TOOL_OUTPUT_CHARS_MAX, ToolOutcome};

use super::files::{WRITE_BYTES_MAX, resolve};
use super::*;

const TOKEN: &str = "avt_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn limits(concurrent_runs: u32, egress: bool) -> ToolLimits {
    ToolLimits {
        concurrent_runs,
        egress,
    }
}

fn shell(command: &str) -> ToolRequest {
    ToolRequest::Shell {
        command: command.to_string(),
    }
}

#[test]
fn tokens_are_redacted_wherever_they_appear() {
    // Whole agent, container and refresh tokens become `[redacted]`; a prefix without 64 hex
    // digits and the text around stay as they were.
    let text = format!(
        "a {TOKEN} b rft_{} c avt_12 d avc_{} e",
        "f".repeat(64),
        "0".repeat(64)
    );
    assert_eq!(
        redact_tokens(&text),
        "a avt_[redacted] b rft_[redacted] c avt_12 d avc_[redacted] e"
    );
    assert_eq!(redact_tokens("no secrets"), "no secrets");
    assert_eq!(
        redact_tokens(&format!("{TOKEN}{TOKEN}")),
        "avt_[redacted]avt_[redacted]"
    );
}

#[test]
fn paths_stay_inside_the_workspace() {
    // Relative and inside-absolute paths resolve; `..`, outside-absolute paths, symbolic
    // links and the workspace itself are refused.
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path();
    assert_eq!(resolve(ws, "notes/a.md").unwrap(), ws.join("notes/a.md"));
    let inside = ws.join("b.txt");
    assert_eq!(resolve(ws, inside.to_str().unwrap()).unwrap(), inside);
    assert!(resolve(ws, "../escape").unwrap_err().contains("leaves"));
    assert!(
        resolve(ws, "a/../../escape")
            .unwrap_err()
            .contains("leaves")
    );
    assert!(resolve(ws, "/etc/passwd").unwrap_err().contains("outside"));
    std::os::unix::fs::symlink("/etc", ws.join("link")).unwrap();
    assert!(
        resolve(ws, "link/passwd")
            .unwrap_err()
            .contains("symbolic link")
    );
    assert!(resolve(ws, ".").is_err());
    assert!(resolve(ws, "").is_err());
}

#[tokio::test]
async fn files_are_written_whole_and_read_back_within_limits() {
    // A written file reads back the same; a missing file fails; an oversize write and a path
    // outside the workspace are refused and write nothing.
    let dir = tempfile::tempdir().unwrap();
    let tools = Toolbox::new(dir.path());
    let write = ToolRequest::WriteFile {
        path: "notes/today.md".into(),
        content: "bread: 3 loaves\n".into(),
    };
    let wrote = tools.run_unreported(&write, limits(1, false)).await;
    assert_eq!(wrote.outcome, ToolOutcome::Ok, "{wrote:?}");
    let read = ToolRequest::ReadFile {
        path: "notes/today.md".into(),
    };
    let got = tools.run_unreported(&read, limits(1, false)).await;
    assert_eq!(
        (got.outcome, got.output.as_str()),
        (ToolOutcome::Ok, "bread: 3 loaves\n")
    );
    assert_eq!(got.output_bytes, 16);
    let missing = ToolRequest::ReadFile {
        path: "nope.md".into(),
    };
    assert_eq!(
        tools
            .run_unreported(&missing, limits(1, false))
            .await
            .outcome,
        ToolOutcome::Failed
    );
    let huge = ToolRequest::WriteFile {
        path: "huge.txt".into(),
        content: "x".repeat(WRITE_BYTES_MAX + 1),
    };
    let refused = tools.run_unreported(&huge, limits(1, false)).await;
    assert_eq!(refused.outcome, ToolOutcome::Refused);
    assert!(!dir.path().join("huge.txt").exists());
    let outside = ToolRequest::WriteFile {
        path: "../outside.txt".into(),
        content: "x".into(),
    };
    assert_eq!(
        tools
            .run_unreported(&outside, limits(1, false))
            .await
            .outcome,
        ToolOutcome::Refused
    );
    assert!(!dir.path().parent().unwrap().join("outside.txt").exists());
}

#[tokio::test]
async fn a_command_gives_its_exit_code_and_both_streams() {
    // stdout then stderr are kept, a non-zero exit is a failure with its code, and the
    // command runs in the workspace.
    let dir = tempfile::tempdir().unwrap();
    let tools = Toolbox::new(dir.path());
    let run = tools
        .run_unreported(
            &shell("echo out; echo err >&2; pwd >&2; exit 3"),
            limits(1, false),
        )
        .await;
    assert_eq!(run.outcome, ToolOutcome::Failed);
    assert_eq!(run.exit_code, Some(3));
    let expected = format!("out\nerr\n{}\n", dir.path().display());
    assert_eq!(run.output, expected);
    let ok = tools.run_unreported(&shell("true"), limits(1, false)).await;
    assert_eq!((ok.outcome, ok.exit_code), (ToolOutcome::Ok, Some(0)));
}

#[tokio::test]
async fn a_command_sees_none_of_the_agents_environment() {
    // The command's environment is the fixed clean one: nothing of the process running it
    // (cargo's variables stand in for the agent's settings and token).
    let dir = tempfile::tempdir().unwrap();
    let tools = Toolbox::new(dir.path());
    assert!(std::env::vars().any(|(k, _)| k.starts_with("CARGO")));
    let run = tools.run_unreported(&shell("env"), limits(1, false)).await;
    assert_eq!(run.outcome, ToolOutcome::Ok);
    assert!(run.output.contains("PATH="), "{}", run.output);
    assert!(!run.output.contains("CARGO"), "{}", run.output);
}

#[tokio::test]
async fn a_command_past_its_time_is_killed_with_everything_it_started() {
    // A command that outlives its timeout is killed with its children and reported as timed
    // out, well before it would have ended; a background process a finished command left
    // behind does not hold the call open either.
    let dir = tempfile::tempdir().unwrap();
    let tools = Toolbox::new(dir.path()).with_shell_timeout(Duration::from_millis(300));
    let started = Instant::now();
    let run = tools
        .run_unreported(&shell("sleep 30 & sleep 30; echo never"), limits(1, false))
        .await;
    assert_eq!(run.outcome, ToolOutcome::TimedOut, "{run:?}");
    assert!(!run.output.contains("never"));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );

    let started = Instant::now();
    let run = tools
        .run_unreported(&shell("sleep 30 & echo left"), limits(1, false))
        .await;
    assert_eq!(
        (run.outcome, run.output.as_str()),
        (ToolOutcome::Ok, "left\n")
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_chatty_command_is_cut_and_counted() {
    // 200 000 bytes of output finish the command; the kept output stays within the capture
    // and the count says how much there was.
    let dir = tempfile::tempdir().unwrap();
    let tools = Toolbox::new(dir.path());
    let raw = tools
        .run_unreported(
            &shell("head -c 200000 /dev/zero | tr '\\0' a"),
            limits(1, false),
        )
        .await;
    assert_eq!(raw.outcome, ToolOutcome::Ok);
    assert_eq!(raw.output_bytes, 200_000);
    assert_eq!(raw.output.len(), shell::CAPTURE_BYTES_MAX);
    let run = finish("c1".into(), ToolKind::Shell, raw, Duration::from_millis(5));
    assert_eq!(run.output.chars().count(), TOOL_OUTPUT_CHARS_MAX);
    assert_eq!(run.output_bytes, 200_000);
}

#[tokio::test]
async fn without_tool_runs_or_egress_nothing_runs() {
    // A tier with no tool runs refuses every tool; an HTTP fetch is refused without egress,
    // and, with it, because the container has no route out.
    let dir = tempfile::tempdir().unwrap();
    let tools = Toolbox::new(dir.path());
    let write = ToolRequest::WriteFile {
        path: "a.txt".into(),
        content: "a".into(),
    };
    let none = tools.run_unreported(&write, limits(0, true)).await;
    assert_eq!(none.outcome, ToolOutcome::Refused);
    assert!(!dir.path().join("a.txt").exists());
    let fetch = ToolRequest::HttpFetch {
        url: "https://example.org/".into(),
    };
    // With a proxy, only the tier can refuse.
    let routed = tools
        .clone()
        .with_egress_proxy(Some("http://agent-1:x@127.0.0.1:9".into()));
    let no_egress = routed.run_unreported(&fetch, limits(1, false)).await;
    assert_eq!(no_egress.outcome, ToolOutcome::Refused);
    assert!(
        no_egress.output.contains("tier allows no egress"),
        "{no_egress:?}"
    );
    let no_route = tools.run_unreported(&fetch, limits(1, true)).await;
    assert_eq!(no_route.outcome, ToolOutcome::Refused);
    assert!(no_route.output.contains("no egress route"), "{no_route:?}");
}

#[test]
fn outputs_and_inputs_are_cleaned_before_reporting() {
    // NULs become replacement characters, tokens are redacted, and an empty command is still
    // recorded with a visible input.
    let raw = RawRun {
        outcome: ToolOutcome::Ok,
        exit_code: Some(0),
        output: format!("a\0b {TOKEN}"),
        output_bytes: 74,
    };
    let run = finish("c2".into(), ToolKind::Shell, raw, Duration::ZERO);
    assert_eq!(run.output, "a\u{FFFD}b avt_[redacted]");
    assert_eq!(
        input_for_report(&shell(&format!("echo {TOKEN}"))),
        "echo avt_[redacted]"
    );
    assert_eq!(input_for_report(&shell("  ")), "(empty)");
}

#[test]
fn call_ids_are_plain_and_unique_per_step_and_index() {
    // Ids are well formed for the server and differ by step and index.
    let tools = Toolbox::new("/workspace");
    let a = tools.call_id(AgentId(7), 12, 0);
    let b = tools.call_id(AgentId(7), 12, 1);
    let c = tools.call_id(AgentId(7), 13, 0);
    assert!(shared::tool_call::valid_call_id(&a), "{a}");
    assert!(a.starts_with("a7-s12-0-"));
    assert!(a != b && a != c && b != c);
}
