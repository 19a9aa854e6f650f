//! Commands people ask the scripted brain to run: a person's post addressed to the agent that
//! says ``run `COMMAND` `` (one line, in backticks) becomes a shell [`Intent::Tool`]; once the
//! call ran and the server recorded it, the answer quotes the output and names its source (the
//! command, its exit code, and the call id in the agent's transcript). A call that could not
//! run, or was not recorded, is answered honestly with why. Only people's posts are taken (an
//! agent's are not), at most [`JOBS_MAX`] wait, and each is tried [`JOB_ATTEMPTS_MAX`] times.
//! Pure: no I/O, no clock; the loop runs the tool and the brain posts the answer.

use std::collections::VecDeque;

use shared::tool_call::ToolOutcome;
use shared::{BoardPost, PostId, PostStatus};

use super::brain::{Intent, Outcome};
use super::tools::{ToolRequest, ToolRun};

/// Commands waiting to run; newer asks are dropped beyond this.
pub const JOBS_MAX: usize = 4;
/// Tries per command (a step cut off before it ran, a report the server did not answer).
pub const JOB_ATTEMPTS_MAX: u32 = 3;
/// Longest command taken from a post, in characters.
pub const COMMAND_CHARS_MAX: usize = 500;
/// Output quoted in an answer, in characters (a reply holds at most 2000, and the command
/// and the words around take up to 800).
pub const QUOTED_OUTPUT_CHARS_MAX: usize = 1_000;

/// One asked command.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Job {
    post_id: PostId,
    asker: String,
    command: String,
    attempts: u32,
}

/// The commands people asked for, oldest first.
#[derive(Debug, Clone, Default)]
pub struct AskedCommands {
    jobs: VecDeque<Job>,
}

impl AskedCommands {
    /// Takes the command of `post`, if a person addressed it to the agent and asked for one;
    /// true when it did (the post then needs no other answer).
    pub fn take(&mut self, post: &BoardPost) -> bool {
        if post.author.agent_id.is_some() || post.status != PostStatus::Open {
            return false;
        }
        let Some(command) = requested_command(&post.body) else {
            return false;
        };
        if self.jobs.iter().any(|j| j.post_id == post.id) {
            return true;
        }
        if self.jobs.len() >= JOBS_MAX {
            tracing::warn!(post = %post.id, "too many commands waiting; this one is not run");
            return false;
        }
        self.jobs.push_back(Job {
            post_id: post.id,
            asker: post.author.name.clone(),
            command,
            attempts: 0,
        });
        true
    }

    /// The tool intent of the oldest waiting command, counting the try.
    pub fn next_intent(&mut self) -> Option<Intent> {
        let job = self.jobs.front_mut()?;
        job.attempts += 1;
        Some(Intent::Tool {
            request: ToolRequest::Shell {
                command: job.command.clone(),
            },
        })
    }

    /// Folds in what the previous step's tool intents did: the answers to post, as
    /// `(post, body)`, for the commands that ran or are given up.
    pub fn recall(&mut self, me: &str, previous: &[(Intent, Outcome)]) -> Vec<(PostId, String)> {
        let mut answers = Vec::new();
        for (intent, outcome) in previous {
            let Intent::Tool {
                request: ToolRequest::Shell { command },
            } = intent
            else {
                continue;
            };
            let Some(at) = self.jobs.iter().position(|j| j.command == *command) else {
                continue;
            };
            let body = match outcome {
                // Not run (no tool runs in the tier, say): no output to quote, and maybe no
                // record to cite.
                Outcome::Ran(run) if run.outcome == ToolOutcome::Refused => {
                    Some(answer_not_run(&self.jobs[at], me, run.output.trim()))
                }
                Outcome::Ran(run) => Some(answer_ran(&self.jobs[at], me, run)),
                Outcome::Failed { code, .. } if self.jobs[at].attempts >= JOB_ATTEMPTS_MAX => {
                    Some(answer_not_run(&self.jobs[at], me, code))
                }
                _ => None,
            };
            if let Some(body) = body
                && let Some(job) = self.jobs.remove(at)
            {
                answers.push((job.post_id, body));
            }
        }
        // A command tried its last time in a step that was cut off is given up too.
        while let Some(job) = self.jobs.front() {
            if job.attempts < JOB_ATTEMPTS_MAX || previous.iter().any(|(i, _)| is_job(i, job)) {
                break;
            }
            let body = answer_not_run(job, me, "step_timeout");
            let post = job.post_id;
            self.jobs.pop_front();
            answers.push((post, body));
        }
        answers
    }
}

fn is_job(intent: &Intent, job: &Job) -> bool {
    matches!(intent, Intent::Tool { request: ToolRequest::Shell { command } } if *command == job.command)
}

/// The command in ``run `COMMAND` `` (any case, an optional colon), if `text` asks for one
/// on one line, at most [`COMMAND_CHARS_MAX`] characters.
pub fn requested_command(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    // ASCII letters are never part of a multi-byte character, so every match is at a char
    // boundary of `text`.
    let starts = (0..bytes.len().saturating_sub(2))
        .filter(|&at| bytes[at..at + 3].eq_ignore_ascii_case(b"run"));
    for at in starts {
        let rest = &text[at + 3..];
        let rest = rest.strip_prefix(':').unwrap_or(rest);
        let rest = rest.trim_start_matches([' ', '\t']);
        let Some(quoted) = rest.strip_prefix('`') else {
            continue;
        };
        let Some(end) = quoted.find('`') else {
            continue;
        };
        let command = quoted[..end].trim();
        let fits = !command.is_empty() && command.chars().count() <= COMMAND_CHARS_MAX;
        if fits && !command.contains(['\n', '\r']) {
            return Some(command.to_string());
        }
    }
    None
}

/// The answer to a command that ran, with its output and its source.
fn answer_ran(job: &Job, me: &str, run: &ToolRun) -> String {
    let how = match (run.outcome, run.exit_code) {
        // The exit code is only the last command's: the output may say earlier ones failed.
        (ToolOutcome::Ok, _) if reports_errors(&run.output) => "it exited with code 0, but its \
            output reports errors (the exit code is only the last command's): please read it"
            .to_string(),
        (ToolOutcome::Ok, _) => "it exited with code 0".to_string(),
        (ToolOutcome::TimedOut, _) => "it ran out of time and was stopped".to_string(),
        (ToolOutcome::Refused, _) => "it was not allowed".to_string(),
        (ToolOutcome::Failed, Some(code)) => format!("it failed with exit code {code}"),
        (ToolOutcome::Failed, None) => "it failed".to_string(),
    };
    let quoted: String = run
        .output
        .chars()
        .take(QUOTED_OUTPUT_CHARS_MAX)
        .collect::<String>()
        .replace("```", "'''");
    let cut = if run.output.chars().count() > QUOTED_OUTPUT_CHARS_MAX
        || run.output_bytes > run.output.len() as u64
    {
        format!(" (the first part of {} bytes)", run.output_bytes)
    } else {
        String::new()
    };
    let exit = run
        .exit_code
        .map_or_else(|| "none".to_string(), |c| c.to_string());
    format!(
        "Hello {}! {me} here. I ran `{}` in my workspace and {how}. Output{cut}:\n```\n{}\n```\n\
         Source: my container's shell (exit code {exit}, {} ms), tool call {} in my transcript.",
        job.asker.trim(),
        job.command,
        quoted.trim_end(),
        run.duration_ms,
        run.call_id
    )
}

/// Whether `output` has a line saying something failed, as shells and common tools word it.
fn reports_errors(output: &str) -> bool {
    const SIGNS: [&str; 7] = [
        "not found",
        "no such file",
        "permission denied",
        "error",
        "cannot ",
        "can't ",
        "failed",
    ];
    output.lines().any(|line| {
        let line = line.to_lowercase();
        SIGNS.iter().any(|sign| line.contains(sign))
    })
}

/// The answer to a command that could not be run or recorded.
fn answer_not_run(job: &Job, me: &str, code: &str) -> String {
    format!(
        "Hello {}! {me} here. I could not run `{}` for you ({code}); I am sorry. \
         Please ask again later.",
        job.asker.trim(),
        job.command
    )
}

#[cfg(test)]
#[path = "asked_commands_tests.rs"]
mod tests;
