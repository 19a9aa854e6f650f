//! The shell tool: one command through `/bin/bash -c` (or `/bin/sh -c` where the image has no
//! bash), as root, in the workspace, with no stdin and a clean environment (no token, no
//! settings of the agent's). It runs in its own process group, so on timeout the whole group
//! (the command and whatever it started) is killed. Its stdout and stderr are read at the same
//! time, the first [`CAPTURE_BYTES_MAX`] of each kept and the rest counted and dropped, so a
//! chatty command can neither block on a full pipe nor fill the agent's memory. It must not
//! decide whether a command is allowed: the container is the sandbox.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use shared::tool_call::ToolOutcome;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;

use super::RawRun;

/// Bytes kept of each of stdout and stderr.
pub const CAPTURE_BYTES_MAX: usize = 16 * 1024;
/// How long the pipes may stay open after the command ended or was killed (a background
/// process it left may hold them) before reading stops.
const DRAIN_GRACE: Duration = Duration::from_secs(1);
/// The shells tried, in order.
const SHELLS: [&str; 2] = ["/bin/bash", "/bin/sh"];
/// The command's whole environment.
const ENVIRONMENT: [(&str, &str); 4] = [
    (
        "PATH",
        "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    ),
    ("LANG", "C.UTF-8"),
    ("TERM", "dumb"),
    ("DEBIAN_FRONTEND", "noninteractive"),
];

/// The proxy variables a command gets when the agent has an egress proxy (under both
/// spellings tools read).
const PROXY_VARS: [&str; 4] = ["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"];

/// Runs `command` in `cwd` for at most `timeout`, with `proxy` as its HTTP(S) proxy if given.
pub async fn run(command: &str, cwd: &Path, timeout: Duration, proxy: Option<&str>) -> RawRun {
    let Some(shell) = SHELLS.into_iter().find(|s| Path::new(s).exists()) else {
        return RawRun::refused("this image has no shell (/bin/bash or /bin/sh)");
    };
    let mut child = match Command::new(shell)
        .arg("-c")
        .arg(command)
        .current_dir(cwd)
        .env_clear()
        .envs(ENVIRONMENT)
        .env("HOME", cwd)
        .envs(
            PROXY_VARS
                .iter()
                .filter_map(|var| proxy.map(|url| (var, url))),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
    {
        Ok(child) => child,
        Err(error) => {
            return RawRun {
                outcome: ToolOutcome::Failed,
                exit_code: None,
                output: format!("could not start {shell}: {error}"),
                output_bytes: 0,
            };
        }
    };
    let group = child
        .id()
        .and_then(|id| i32::try_from(id).ok())
        .map(Pid::from_raw);
    let stdout = child.stdout.take().map(|pipe| tokio::spawn(capture(pipe)));
    let stderr = child.stderr.take().map(|pipe| tokio::spawn(capture(pipe)));
    let (outcome, exit_code) = match tokio::time::timeout(timeout, child.wait()).await {
        Ok(Ok(status)) if status.success() => (ToolOutcome::Ok, status.code()),
        Ok(Ok(status)) => (ToolOutcome::Failed, status.code()),
        Ok(Err(error)) => {
            tracing::warn!(%error, "waiting for a shell command failed");
            (ToolOutcome::Failed, None)
        }
        Err(_) => {
            kill_group(group);
            // Reaps the shell; the group is already killed.
            let _ = child.kill().await;
            (ToolOutcome::TimedOut, None)
        }
    };
    // Whatever the command left running in its group goes too: the call is over.
    kill_group(group);
    let (out, out_bytes) = drained(stdout).await;
    let (err, err_bytes) = drained(stderr).await;
    let mut output = String::from_utf8_lossy(&out).into_owned();
    if !err.is_empty() {
        if !output.is_empty() && !output.ends_with('\n') {
            output.push('\n');
        }
        output.push_str(&String::from_utf8_lossy(&err));
    }
    if outcome == ToolOutcome::TimedOut {
        output.push_str(&format!("\n(killed after {} s)", timeout.as_secs_f32()));
    }
    RawRun {
        outcome,
        exit_code,
        output,
        output_bytes: out_bytes.saturating_add(err_bytes),
    }
}

/// Sends SIGKILL to the command's process group, if it still has one.
fn kill_group(group: Option<Pid>) {
    if let Some(group) = group {
        // ESRCH (the group is gone) is the normal case after a clean exit.
        let _ = killpg(group, Signal::SIGKILL);
    }
}

/// What a capture task read, waiting at most [`DRAIN_GRACE`] for it.
async fn drained(task: Option<tokio::task::JoinHandle<(Vec<u8>, u64)>>) -> (Vec<u8>, u64) {
    let Some(mut task) = task else {
        return (Vec::new(), 0);
    };
    match tokio::time::timeout(DRAIN_GRACE, &mut task).await {
        Ok(Ok(read)) => read,
        Ok(Err(_)) => (Vec::new(), 0),
        Err(_) => {
            task.abort();
            (
                b"(output still open after the command ended; not read)".to_vec(),
                0,
            )
        }
    }
}

/// Reads a pipe to its end: the first [`CAPTURE_BYTES_MAX`] bytes, and the count of all.
async fn capture(mut pipe: impl AsyncRead + Unpin) -> (Vec<u8>, u64) {
    let mut kept = Vec::new();
    let mut total: u64 = 0;
    let mut buffer = [0u8; 8192];
    loop {
        match pipe.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                total = total.saturating_add(n as u64);
                let room = CAPTURE_BYTES_MAX.saturating_sub(kept.len());
                kept.extend_from_slice(&buffer[..n.min(room)]);
            }
        }
    }
    (kept, total)
}
