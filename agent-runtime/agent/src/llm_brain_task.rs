//! The LLM brain's task step: the tasks people gave the agent go before its own life. Each step
//! it delivers answers to posts waiting for the board (also while the gateway is paused after
//! failures), or else takes the next task from its
//! desk (`task_desk.rs`: a chat waiting, a post waiting, a task it reported progress on) and
//! works on it in one turn (`task_turn.rs`) within the task's work budget
//! ([`task_calls_max`], set by the tier's token budget). A failed gateway call pauses the
//! gateway as any other and the scripted routine lives the step; a task whose turns failed
//! [`TASK_FAILED_TURNS_MAX`] times in a row is settled as failed, telling the person why. A
//! child of `llm_brain.rs`, which owns the brain's state.

use shared::Entitlements;
use shared::api::AgentPerception;
use tokio::time::Instant;

use super::LlmBrain;
use crate::brain::{DECIDE_ACTS_MAX, Decision, INTENTS_PER_STEP_MAX, Intent, Recall};
use crate::client::ApiClient;
use crate::task_turn::{TURN_CALLS_MAX, TaskAnswer, TaskTurn, work_on_task};
use crate::tools::ToolLimits;

/// Model calls one task may take after the person's latest words: the tier's hourly tokens
/// over [`TOKENS_PER_CALL`], within [`TASK_CALLS_MIN`]..=[`TASK_CALLS_MAX`]. A seedling's
/// 20,000 tokens give 8 calls (two turns), the top tier's many more.
pub fn task_calls_max(entitlements: &Entitlements) -> u32 {
    let calls = entitlements.llm_tokens_per_hour / TOKENS_PER_CALL;
    u32::try_from(calls)
        .unwrap_or(u32::MAX)
        .clamp(TASK_CALLS_MIN, TASK_CALLS_MAX)
}

/// Tokens a call of a task turn takes, as budgeted (measured: 1,500–3,000 on the 0.5B model).
pub const TOKENS_PER_CALL: u64 = 2_500;
/// Least and most model calls of a task between two words of its person.
pub const TASK_CALLS_MIN: u32 = 2 * TURN_CALLS_MAX;
pub const TASK_CALLS_MAX: u32 = 10 * TURN_CALLS_MAX;

/// Turns in a row whose model call failed after which a task is settled as failed.
pub const TASK_FAILED_TURNS_MAX: u32 = 3;
/// Tasks whose failed turns are counted at once (the book keeps 16).
const FAILED_TURNS_TRACKED_MAX: usize = 64;

/// What a person is told when the model failed a task's turns [`TASK_FAILED_TURNS_MAX`]
/// times in a row (`code`: the last failure's).
pub fn gave_up_answer(code: &str) -> String {
    format!(
        "I am sorry: my model did not answer {TASK_FAILED_TURNS_MAX} times in a row (the last \
         time: {code}), so I have stopped working on this rather than keep you waiting. \
         Nothing more was done. Please ask again later."
    )
}

impl LlmBrain {
    /// The step's work on tasks: `None` when there is none (or the tasks could not be read:
    /// logged, and life goes on).
    pub(super) async fn task_step(
        &mut self,
        client: &ApiClient,
        perception: &AgentPerception,
        recall: &Recall<'_>,
        paused: bool,
    ) -> Option<Decision> {
        let desk = self.desk.as_mut()?;
        let delivering = desk.deliver(client, perception).await;
        if delivering.iter().any(|i| matches!(i, Intent::Reply { .. })) {
            self.publish(client, perception, recall).await;
            return Some(Decision {
                intents: delivering,
                ..Decision::default()
            });
        }
        if paused {
            // No model call during the pause: walk a draft to the board, or let the routine live.
            return (!delivering.is_empty()).then(|| Decision {
                intents: delivering,
                ..Decision::default()
            });
        }
        let calls_max = task_calls_max(&perception.economy.entitlements);
        let picked = match desk.next(client, calls_max).await {
            Ok(Some(picked)) => picked,
            Ok(None) => {
                self.publish(client, perception, recall).await;
                // Nothing to work on: walk to the board with a draft, or let life decide.
                return (!delivering.is_empty()).then(|| Decision {
                    intents: delivering,
                    ..Decision::default()
                });
            }
            Err(error) => {
                tracing::warn!(step = recall.step, %error, "reading the tasks failed");
                return None;
            }
        };
        let desk = self.desk.as_mut()?;
        let left = desk.calls_left(picked.ask.source, calls_max);
        let task = desk.book.task(picked.ask.source).cloned();
        let turn = TaskTurn {
            me: &perception.world.me,
            step: recall.step,
            model: &self.model,
            tools: &self.task_tools,
            toolbox: self.toolbox.as_ref(),
            limits: ToolLimits::of(&perception.economy.entitlements),
            client: &client.clone().with_timeout(self.call_timeout),
            calls: left.clamp(1, TURN_CALLS_MAX),
            last: left <= TURN_CALLS_MAX,
        };
        tracing::info!(step = recall.step, task = %picked.ask.source, fresh = picked.fresh, "working on a task");
        // A task turn stands for the life call of its interval: on a model shared by a few
        // agents, a life call (~2,000 prompt tokens) beside a task turn slows the answer a
        // person waits for (measured: life calls timing out at 90 s while tasks waited).
        self.last_life_call = Some(Instant::now());
        let mut end = work_on_task(turn, &picked.ask, task.as_ref()).await;
        let source = picked.ask.source;
        let mut decision = end.decision;
        if let Some(error) = &end.error {
            let failed = self.call_failed(error, recall.step, 0);
            let mut fallback = self.scripted(perception, recall, decision.acts, decision.requests);
            fallback.acts.push(failed);
            decision = fallback;
            if self.failed_turns.len() >= FAILED_TURNS_TRACKED_MAX {
                self.failed_turns.clear();
            }
            let in_a_row = self.failed_turns.entry(source).or_insert(0);
            *in_a_row += 1;
            if *in_a_row >= TASK_FAILED_TURNS_MAX {
                // Tried again and again, such a task holds a shared model for nothing (measured:
                // 9 turns abandoned at 90 s each): the person hears why it stopped.
                self.failed_turns.remove(&source);
                let answer = TaskAnswer::failed(gave_up_answer(error.code()));
                answer.note_in(&mut end.record);
                end.answer = Some(answer);
            }
        } else {
            (self.failures, self.paused_until) = (0, None);
            self.failed_turns.remove(&source);
        }
        let desk = self.desk.as_mut()?;
        let answer = desk
            .settle(client, &picked.ask, end.record, end.answer, perception)
            .await;
        let room = INTENTS_PER_STEP_MAX.saturating_sub(answer.len());
        decision.intents.truncate(room);
        decision.intents.splice(0..0, answer);
        self.publish(client, perception, recall).await;
        decision.acts.truncate(DECIDE_ACTS_MAX);
        Some(decision)
    }

    /// Publishes the notebook when it changed and a publication is due.
    async fn publish(
        &mut self,
        client: &ApiClient,
        perception: &AgentPerception,
        recall: &Recall<'_>,
    ) {
        let Some(desk) = self.desk.as_mut() else {
            return;
        };
        let economy = &perception.economy;
        let place = perception
            .world
            .at_landmark
            .as_deref()
            .unwrap_or("the road");
        let life = format!(
            "step {}; {} tier, balance {} aiDollar; at {place}",
            recall.step, economy.tier, economy.balance
        );
        desk.publish(client, &life).await;
    }
}
