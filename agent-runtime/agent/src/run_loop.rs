//! The agent's loop: perceive → decide → act → reflect, one step at a time, each step bounded by
//! [`STEP_TIME_MAX`]. A failing call is logged, remembered as a failure, and the loop goes on
//! after a pause that doubles with each failing step (capped at [`BACKOFF_MAX`], at least the
//! server's `Retry-After`). The pause also keeps the agent inside its tier's request rate. A
//! 401 or 403 (token revoked, agent not its own) ends the loop with [`LoopEnd::Denied`]; a stop
//! request (SIGTERM) lets the current step finish and ends it with [`LoopEnd::Stopped`]. This
//! module owns the pacing and the error policy; what to do is the brain's (any [`Decider`]: a
//! pure brain, or the LLM brain whose gateway call is remembered with the step's acts but, since
//! it falls back to the scripted brain, neither fails the step nor slows the loop), how to
//! remember it the memory's.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use shared::Tick;
use shared::tool_call::ToolOutcome;
use tokio_util::sync::CancellationToken;

use super::acting::{Hands, act};
use super::brain::{DECIDE_ACTS_MAX, Decider, INTENTS_PER_STEP_MAX, Intent, Outcome, Recall};
use super::client::{ApiClient, ClientError};
use super::memory::{ActRecord, Memory, MemoryError, StepRecord};
use super::tools::{ToolLimits, Toolbox};

/// Longest one step may take, all its requests together; a step cut off is a failure.
/// It leaves room for the LLM brain's three calls at their time limit and a round of tools.
pub const STEP_TIME_MAX: Duration = Duration::from_secs(330);
/// Longest pause between steps after failures (or asked for by `Retry-After`).
pub const BACKOFF_MAX: Duration = Duration::from_secs(60);
/// Doublings of the pause; 2^6 × the 2 s default step is already past [`BACKOFF_MAX`].
const BACKOFF_DOUBLINGS_MAX: u32 = 6;
/// The exit code when the server refuses the agent (401/403: token revoked or replaced, agent
/// quarantined): `EX_NOPERM` of sysexits.h, so a supervisor can tell it from a crash.
pub const EXIT_DENIED: u8 = 77;

/// How the loop runs.
#[derive(Debug, Clone)]
pub struct LoopSettings {
    /// Pause between steps when all is well.
    pub step: Duration,
    /// Stop after this many steps (tests); `None`: until stopped or denied.
    pub max_steps: Option<u64>,
    /// The tools the brain's [`Intent::Tool`]s run with, in the agent's workspace.
    pub tools: Toolbox,
}

/// Why the loop ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoopEnd {
    /// Ran `max_steps` steps.
    StepsDone { steps: u64 },
    /// A stop was requested; the step under way was finished first.
    Stopped,
    /// The server refused the token or the agent.
    Denied {
        status: u16,
        code: String,
        message: String,
    },
}

impl LoopEnd {
    /// The process exit code for this end.
    pub fn exit_code(&self) -> u8 {
        match self {
            LoopEnd::StepsDone { .. } | LoopEnd::Stopped => 0,
            LoopEnd::Denied { .. } => EXIT_DENIED,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoopError {
    #[error("cannot read the agent's memory: {0}")]
    Memory(#[from] MemoryError),
    #[error("the memory task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
}

/// What the loop carries from one step to the next.
#[derive(Debug, Default)]
struct Carry {
    step: u64,
    since_tick: Option<Tick>,
    board_cursor: Option<String>,
    previous: Vec<(Intent, Outcome)>,
    /// Failing steps in a row.
    failing: u32,
    /// The tier's request rate, from the last perception.
    requests_per_minute: Option<u32>,
}

/// What one step did.
struct StepReport {
    record: StepRecord,
    outcomes: Vec<(Intent, Outcome)>,
    failed: bool,
    retry_after: Option<Duration>,
    requests: u32,
    /// The tier's request rate, when perceiving worked.
    requests_per_minute: Option<u32>,
    denied: Option<LoopEnd>,
}

/// Runs the loop until `max_steps`, a stop request on `stop`, or a refusal by the server.
pub async fn run<D: Decider + ?Sized>(
    client: &ApiClient,
    brain: &mut D,
    memory: &Memory,
    settings: &LoopSettings,
    stop: &CancellationToken,
) -> Result<LoopEnd, LoopError> {
    let resume = {
        let memory = memory.clone();
        tokio::task::spawn_blocking(move || memory.resume()).await??
    };
    tracing::info!(
        agent = %client.agent(), brain = brain.label(), next_step = resume.next_step,
        memory = %memory.path().display(), "agent loop starting"
    );
    let mut carry = Carry {
        step: resume.next_step,
        board_cursor: resume.board_cursor,
        ..Carry::default()
    };
    let mut steps_run: u64 = 0;
    loop {
        if stop.is_cancelled() {
            return Ok(LoopEnd::Stopped);
        }
        let report = match tokio::time::timeout(
            STEP_TIME_MAX,
            run_step(client, brain, &settings.tools, &carry),
        )
        .await
        {
            Ok(report) => report,
            Err(_) => timed_out_step(&carry),
        };
        tracing::debug!(
            step = carry.step,
            acts = report.record.acts.len(),
            failed = report.failed,
            "step done"
        );
        remember(memory, report.record.clone()).await;
        if let Some(end) = report.denied {
            return Ok(end);
        }
        if let Some(tick) = report.record.tick {
            carry.since_tick = Some(Tick(tick));
        }
        if report.record.board_cursor.is_some() {
            carry.board_cursor = report.record.board_cursor.clone();
        }
        if report.requests_per_minute.is_some() {
            carry.requests_per_minute = report.requests_per_minute;
        }
        carry.failing = if report.failed {
            carry.failing.saturating_add(1)
        } else {
            0
        };
        carry.previous = report.outcomes;
        carry.step = carry.step.saturating_add(1);
        steps_run += 1;
        if settings.max_steps.is_some_and(|max| steps_run >= max) {
            return Ok(LoopEnd::StepsDone { steps: steps_run });
        }
        let pause = pause_after(settings.step, &carry, report.retry_after, report.requests);
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            () = stop.cancelled() => return Ok(LoopEnd::Stopped),
        }
    }
}

/// One step: perceive, decide, act. Never fails; what went wrong is in the report.
async fn run_step<D: Decider + ?Sized>(
    client: &ApiClient,
    brain: &mut D,
    tools: &Toolbox,
    carry: &Carry,
) -> StepReport {
    let mut report = StepReport {
        record: StepRecord {
            step: carry.step,
            at_ms: now_ms(),
            ..StepRecord::default()
        },
        outcomes: Vec::new(),
        failed: false,
        retry_after: None,
        requests: 1,
        requests_per_minute: None,
        denied: None,
    };
    let perception = match client
        .perception(carry.since_tick, carry.board_cursor.as_deref())
        .await
    {
        Ok(perception) => perception,
        Err(error) => {
            tracing::warn!(step = carry.step, %error, "perceiving failed");
            report.record.failure = Some(error.code().to_string());
            note_failure(&mut report, &error);
            report.record = report.record.clipped();
            return report;
        }
    };
    report.record.tick = Some(perception.world.tick.0);
    let entitlements = &perception.economy.entitlements;
    report.requests_per_minute = Some(entitlements.requests_per_minute);
    client.pace_by(entitlements.requests_per_minute, entitlements.request_burst);
    report.record.pos = Some(perception.world.me.pos);
    report.record.at_landmark = perception.world.at_landmark.clone();
    report.record.board_cursor = Some(perception.board.cursor.clone());
    let recall = Recall {
        step: carry.step,
        previous: &carry.previous,
    };
    let decision = brain.decide_step(client, &perception, recall).await;
    report.requests += decision.requests;
    for act in decision.acts.iter().take(DECIDE_ACTS_MAX) {
        report
            .record
            .acts
            .push(ActRecord::new(act.kind, act.error.as_deref()));
    }
    let mut intents = decision.intents;
    intents.truncate(INTENTS_PER_STEP_MAX);
    let limits = ToolLimits::of(&perception.economy.entitlements);
    for (index, intent) in intents.into_iter().enumerate() {
        report.requests += 1;
        let hands = Hands {
            client,
            tools,
            limits,
            call_id: tools.call_id(client.agent(), carry.step, index),
        };
        let result = act(&hands, &intent).await;
        let outcome = match &result {
            Ok(outcome) => outcome.clone(),
            Err(error) => {
                tracing::warn!(step = carry.step, intent = intent.kind(), %error, "intent failed");
                note_failure(&mut report, error);
                Outcome::Failed {
                    status: error.status(),
                    code: error.code().to_string(),
                }
            }
        };
        let error = match &result {
            Ok(Outcome::Ran(run)) if run.outcome != ToolOutcome::Ok => Some(run.outcome.as_str()),
            Ok(_) => None,
            Err(error) => Some(error.code()),
        };
        report
            .record
            .acts
            .push(ActRecord::new(intent.kind(), error));
        report.outcomes.push((intent, outcome));
        // Refused, or no answer at all (the server is likely unreachable): the rest waits.
        if result
            .as_ref()
            .is_err_and(|e| e.is_denied() || e.status().is_none())
        {
            break;
        }
    }
    report.record = report.record.clipped();
    report
}

/// Marks the step failed, keeps the longest `Retry-After`, and ends the loop on a refusal.
fn note_failure(report: &mut StepReport, error: &ClientError) {
    report.failed = true;
    report.retry_after = report.retry_after.max(error.retry_after());
    if error.is_denied() && report.denied.is_none() {
        let (status, code, message) = match &error.kind {
            super::client::ErrorKind::Status {
                status,
                code,
                message,
                ..
            } => (*status, code.clone(), message.clone()),
            _ => (0, error.code().to_string(), error.to_string()),
        };
        report.denied = Some(LoopEnd::Denied {
            status,
            code,
            message,
        });
    }
}

/// The report of a step cut off by [`STEP_TIME_MAX`]: a failure with nothing learnt.
fn timed_out_step(carry: &Carry) -> StepReport {
    tracing::warn!(
        step = carry.step,
        limit_s = STEP_TIME_MAX.as_secs(),
        "step ran out of time"
    );
    StepReport {
        record: StepRecord {
            step: carry.step,
            at_ms: now_ms(),
            failure: Some("step_timeout".to_string()),
            ..StepRecord::default()
        },
        outcomes: Vec::new(),
        failed: true,
        retry_after: None,
        requests: 0,
        requests_per_minute: None,
        denied: None,
    }
}

/// The pause before the next step: the configured step, doubled per failing step in a row
/// (capped), at least what the server asked for, and long enough that this step's requests
/// fit the tier's request rate.
fn pause_after(
    step: Duration,
    carry: &Carry,
    retry_after: Option<Duration>,
    requests: u32,
) -> Duration {
    let doublings = carry.failing.min(BACKOFF_DOUBLINGS_MAX);
    let backoff = step.saturating_mul(1 << doublings).min(BACKOFF_MAX);
    let rate = carry
        .requests_per_minute
        .filter(|rpm| *rpm > 0)
        .map_or(Duration::ZERO, |rpm| {
            Duration::from_secs(60).saturating_mul(requests) / rpm
        });
    backoff
        .max(retry_after.unwrap_or_default())
        .max(rate)
        .min(BACKOFF_MAX.max(step))
}

/// Writes the step to memory on the blocking pool; a memory that cannot be written is logged
/// and the agent goes on (it can still act; it only forgets).
async fn remember(memory: &Memory, record: StepRecord) {
    let memory = memory.clone();
    match tokio::task::spawn_blocking(move || memory.append(&record)).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::error!(%error, "could not write the step to memory"),
        Err(error) => tracing::error!(%error, "the memory task failed"),
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pause_doubles_with_failures_and_honours_limits() {
        // Failing steps double the pause up to the cap; Retry-After and the tier's rate lengthen it.
        let step = Duration::from_millis(500);
        let mut carry = Carry::default();
        assert_eq!(pause_after(step, &carry, None, 2), step);
        carry.failing = 3;
        assert_eq!(pause_after(step, &carry, None, 2), Duration::from_secs(4));
        carry.failing = 30;
        assert_eq!(pause_after(step, &carry, None, 2), Duration::from_secs(32));
        carry.failing = 0;
        assert_eq!(
            pause_after(step, &carry, Some(Duration::from_secs(7)), 2),
            Duration::from_secs(7)
        );
        assert_eq!(
            pause_after(step, &carry, Some(Duration::from_secs(600)), 2),
            BACKOFF_MAX
        );
        carry.requests_per_minute = Some(6);
        assert_eq!(pause_after(step, &carry, None, 2), Duration::from_secs(20));
    }

    #[test]
    fn only_a_refusal_has_a_non_zero_exit_code() {
        // Finishing or being stopped exits 0; a refusal exits with the documented code.
        assert_eq!(LoopEnd::Stopped.exit_code(), 0);
        assert_eq!(LoopEnd::StepsDone { steps: 3 }.exit_code(), 0);
        let denied = LoopEnd::Denied {
            status: 401,
            code: "bad_token".into(),
            message: String::new(),
        };
        assert_eq!(denied.exit_code(), EXIT_DENIED);
    }
}
