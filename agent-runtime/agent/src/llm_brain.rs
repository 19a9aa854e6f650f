//! The LLM brain: each step it asks the server's OpenAI-compatible gateway
//! (`POST /v1/chat/completions`, with the agent's own token, so the agent's tier and balance
//! admit and pay for the call) what to do, offering the agent's actions as tools, and turns the
//! model's tool calls into [`Intent`]s. Design: [`Brain`] stays the pure, synchronous contract;
//! the loop asks a [`Decider`] (`brain.rs`), which every pure brain is for free, and this brain
//! is the one decider that does I/O. That is the least invasive split: the scripted brain, its
//! tests and the loop's callers are unchanged. When the gateway refuses (402, 429, 503), fails,
//! answers garbage or times out, the scripted brain decides that step; the failure is logged
//! and remembered as a failed `llm` act, and the gateway is left alone for a pause that doubles
//! with each failure in a row (at least its `Retry-After`), the scripted brain deciding
//! meanwhile. A tool call that is unknown or has bad arguments is dropped and remembered as a
//! failed act. The model's texts are never rewritten: an answer keeps whatever sources the
//! model wrote, and the prompt asks it to name real ones only. The tasks people give the agent
//! (task chats, posts addressed to it) go first, through its desk (`task_desk.rs`).
//! Bounded: the prompt ([`PROMPT_CHARS_MAX`](super::llm_prompt::PROMPT_CHARS_MAX)), the
//! completion ([`COMPLETION_TOKENS_MAX`]), the tool calls read
//! ([`TOOL_CALLS_READ_MAX`](super::llm_tools::TOOL_CALLS_READ_MAX)), the call's time
//! ([`LLM_CALL_TIMEOUT`]). This file is the brain itself: its state across steps, the call,
//! the pause and the fallback; the prompt texts are built in [`llm_prompt`](super::llm_prompt),
//! the tools offered and the model's calls read in [`llm_tools`](super::llm_tools); its task step
//! and its pause after failures are its children `llm_brain_task.rs` and `llm_brain_pause.rs`.
//! It only decides; the loop acts.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use shared::AgentId;
use shared::api::AgentPerception;
use shared::api::notebook::TaskSource;
use tokio::time::Instant;

use super::brain::{
    Brain, DECIDE_ACTS_MAX, DecideAct, Decider, Decision, INTENTS_PER_STEP_MAX, Recall,
};
use super::client::ApiClient;
use super::config::LLM_MODEL_DEFAULT;
use super::llm_prompt::{system_prompt, user_prompt};
use super::llm_tool_round::{Turn, run_tool_round};
use super::llm_tools::{read_tool_calls, tool_definitions};
use super::openai::{ChatMessage, ChatRequest, ToolChoice, ToolDefinition};
use super::scripted::{BOARD, LANDMARKS_KNOWN_MAX, ScriptedBrain};
use super::task_desk::TaskDesk;
use super::task_turn::task_tools;
use super::tools::{ToolLimits, Toolbox};

/// Gateway calls in one turn: the first, and one after each round of container tools.
pub const LLM_CALLS_PER_STEP_MAX: usize = 3;
/// `max_tokens` of every call: bounds its cost and time (a few tool calls need far fewer).
pub const COMPLETION_TOKENS_MAX: u32 = 512;
/// Longest wait for the gateway. A small local model on two busy CPU cores took 20–31 s for an
/// agent's first call (nothing cached) and 4–14 s later; 15 s made one call in sixteen fall
/// back. Three calls and a round of tools fit the loop's step
/// ([`STEP_TIME_MAX`](super::run_loop::STEP_TIME_MAX)).
pub const LLM_CALL_TIMEOUT: Duration = Duration::from_secs(90);
/// Least time between two model calls for the agent's own life (where to go, what to say)
/// when nothing is addressed to it: a seedling's 20,000 tokens an hour would otherwise be spent
/// on walking within minutes (~2,000 tokens a call), leaving none for the chats and posts
/// people address to it. The scripted routine lives the steps between.
pub const LIFE_CALL_INTERVAL: Duration = Duration::from_secs(300);
/// Pause after a failed call before the next one; it doubles with each failure in a row.
pub const LLM_PAUSE_MIN: Duration = Duration::from_secs(10);
/// Longest pause between calls, `Retry-After` included.
pub const LLM_PAUSE_MAX: Duration = Duration::from_secs(300);
/// Doublings of the pause; 10 s × 2^5 is past [`LLM_PAUSE_MAX`].
const PAUSE_DOUBLINGS_MAX: u32 = 5;
/// The gateway's answers that mean the model is not served (to this agent): the next step
/// asks for another.
const UNSERVED_CODES: [&str; 2] = ["model_unavailable", "model_not_allowed"];

/// The model to ask for: `preferred` where the tier lists it, else the tier's best (the last
/// it lists); with no list (an older server), `preferred` or the default.
pub fn model_for<'a>(preferred: Option<&'a str>, allowed: &'a [String]) -> &'a str {
    match preferred {
        Some(model) if allowed.is_empty() || allowed.iter().any(|m| m == model) => model,
        _ => allowed.last().map_or(LLM_MODEL_DEFAULT, String::as_str),
    }
}

/// The LLM brain of one agent; the scripted brain of the same agent is its fallback.
#[derive(Debug)]
pub struct LlmBrain {
    me: AgentId,
    /// The model asked for when the tier allows it; `None`: the best the tier allows.
    preferred: Option<String>,
    /// The model this step asks for ([`model_for`] of the tier in force).
    model: String,
    /// The tier's models as last perceived, and those of them the gateway said it does not
    /// serve (passed over until the list changes).
    listed: Vec<String>,
    unserved: BTreeSet<String>,
    /// The tools offered to the model: the actions, and the container's tools with a toolbox.
    offered: Vec<ToolDefinition>,
    /// The container's tools, when the agent has them (the binary always gives them).
    toolbox: Option<Toolbox>,
    fallback: ScriptedBrain,
    /// Landmark keys seen (and its home, and the board), at most [`LANDMARKS_KNOWN_MAX`].
    known: BTreeSet<String>,
    /// Failed calls in a row, and no call before the instant after the last failure.
    failures: u32,
    paused_until: Option<Instant>,
    pause_min: Duration,
    call_timeout: Duration,
    /// What went wrong deciding last step, told to the model in the next prompt.
    notes: Vec<String>,
    /// The tasks people gave it, when it takes tasks (the binary's brain does).
    desk: Option<TaskDesk>,
    /// The tools of a task turn.
    task_tools: Vec<ToolDefinition>,
    /// Least time between model calls for its own life, and when the last was made.
    life_every: Duration,
    last_life_call: Option<Instant>,
    /// Turns in a row whose model call failed, per task (`llm_brain_task.rs`).
    failed_turns: BTreeMap<TaskSource, u32>,
}

impl LlmBrain {
    /// The brain of agent `me`, asking the gateway for the best model its tier allows.
    pub fn new(me: AgentId) -> LlmBrain {
        LlmBrain {
            me,
            preferred: None,
            model: LLM_MODEL_DEFAULT.to_string(),
            listed: Vec::new(),
            unserved: BTreeSet::new(),
            offered: tool_definitions(false),
            toolbox: None,
            fallback: ScriptedBrain::new(me),
            known: BTreeSet::new(),
            failures: 0,
            paused_until: None,
            pause_min: LLM_PAUSE_MIN,
            call_timeout: LLM_CALL_TIMEOUT,
            notes: Vec::new(),
            desk: None,
            task_tools: task_tools(false),
            life_every: LIFE_CALL_INTERVAL,
            last_life_call: None,
            failed_turns: BTreeMap::new(),
        }
    }

    /// The same brain asking the model about its own life at most every `every` (tests: zero,
    /// to ask at every step).
    pub fn with_life_interval(mut self, every: Duration) -> LlmBrain {
        self.life_every = every;
        self
    }

    /// The same brain working on the tasks at `desk` (chats, posts addressed to it) before
    /// anything else. It first asks the model about its own life one interval after it
    /// starts: when a village starts, every agent's first life call reaches the shared model
    /// at once (measured: three on the local 1.5B timed out at 90 s and held the first task
    /// chats back as long).
    pub fn with_tasks(mut self, desk: TaskDesk) -> LlmBrain {
        self.desk = Some(desk);
        self.last_life_call = Some(Instant::now());
        self
    }

    /// Its desk, when it takes tasks.
    pub fn desk(&self) -> Option<&TaskDesk> {
        self.desk.as_ref()
    }

    /// The same brain asking for `model` whenever its tier allows it (else the tier's best).
    pub fn with_model(mut self, model: impl Into<String>) -> LlmBrain {
        let model = model.into();
        self.model.clone_from(&model);
        self.preferred = Some(model);
        self
    }

    /// The model this step asks for.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// The same brain with another first pause after a failure (tests: zero, to call each step).
    pub fn with_pause_min(mut self, pause: Duration) -> LlmBrain {
        self.pause_min = pause;
        self
    }

    /// The same brain with the container's tools offered to the model, run with `toolbox`.
    pub fn with_tools(mut self, toolbox: Toolbox) -> LlmBrain {
        self.toolbox = Some(toolbox);
        self.offered = tool_definitions(true);
        self.task_tools = task_tools(true);
        self
    }

    /// The same brain with another deadline for the gateway.
    pub fn with_call_timeout(mut self, timeout: Duration) -> LlmBrain {
        self.call_timeout = timeout;
        self
    }

    /// The request for this step: who the agent is, what it perceives and recalls, the tools,
    /// a bounded completion.
    pub fn request<'a>(
        &'a self,
        perception: &AgentPerception,
        recall: &Recall<'_>,
    ) -> ChatRequest<'a> {
        let system = ChatMessage::text("system", system_prompt(&perception.world.me));
        let user = ChatMessage::text("user", self.user_prompt(perception, recall));
        self.request_with(vec![system, user])
    }

    /// A request carrying `messages`: the step's opening two, then the rounds of tools.
    fn request_with(&self, messages: Vec<ChatMessage>) -> ChatRequest<'_> {
        ChatRequest {
            model: &self.model,
            messages,
            tools: &self.offered,
            tool_choice: ToolChoice::Auto,
            max_tokens: COMPLETION_TOKENS_MAX,
        }
    }

    /// Folds in the landmarks in sight.
    fn observe(&mut self, perception: &AgentPerception) {
        let seen = perception
            .world
            .landmarks
            .iter()
            .map(|n| n.landmark.key.as_str());
        for key in seen
            .chain(perception.world.me.home.as_deref())
            .chain([BOARD])
        {
            if self.known.len() < LANDMARKS_KNOWN_MAX && !self.known.contains(key) {
                self.known.insert(key.to_string());
            }
        }
    }

    /// What the agent perceives and recalls, at most
    /// [`PROMPT_CHARS_MAX`](super::llm_prompt::PROMPT_CHARS_MAX) characters.
    fn user_prompt(&self, perception: &AgentPerception, recall: &Recall<'_>) -> String {
        user_prompt(perception, recall, &self.known, &self.notes)
    }

    /// The scripted brain's choice, with what deciding did and the requests it made.
    fn scripted(
        &mut self,
        perception: &AgentPerception,
        recall: &Recall<'_>,
        acts: Vec<DecideAct>,
        requests: u32,
    ) -> Decision {
        let intents = self.fallback.decide(perception, recall);
        Decision {
            intents,
            acts,
            requests,
        }
    }
}

impl Decider for LlmBrain {
    fn label(&self) -> &'static str {
        "llm"
    }

    async fn decide_step<'a>(
        &'a mut self,
        client: &'a ApiClient,
        perception: &'a AgentPerception,
        recall: Recall<'a>,
    ) -> Decision {
        let mut decision = self.decide(client, perception, recall).await;
        // The desk's reads (chats, threads) and its notebook count like any request.
        decision.requests += self.desk.as_mut().map_or(0, TaskDesk::take_requests);
        decision
    }
}

impl LlmBrain {
    /// The step's decision: a task first, else its own life.
    async fn decide(
        &mut self,
        client: &ApiClient,
        perception: &AgentPerception,
        recall: Recall<'_>,
    ) -> Decision {
        self.observe(perception);
        let listed = &perception.economy.entitlements.llm_models;
        if *listed != self.listed {
            // Another tier (or tier file): every model may be served again.
            self.listed.clone_from(listed);
            self.unserved.clear();
        }
        let allowed: Vec<String> = listed
            .iter()
            .filter(|model| !self.unserved.contains(*model))
            .cloned()
            .collect();
        let model = model_for(self.preferred.as_deref(), &allowed);
        if model != self.model {
            tracing::info!(from = %self.model, to = model, tier = %perception.economy.tier, "the LLM model follows the tier");
            self.model = model.to_string();
        }
        if let Some(desk) = self.desk.as_mut() {
            // Every step, paused or not: a reply sent must not be sent again.
            desk.observe(perception, &recall);
        }
        let paused = self
            .paused_until
            .is_some_and(|until| Instant::now() < until);
        if let Some(decision) = self.task_step(client, perception, &recall, paused).await {
            return decision;
        }
        if paused {
            self.notes.clear();
            return self.scripted(perception, &recall, Vec::new(), 0);
        }
        let addressed = !perception.board.replies_to_my_posts.is_empty();
        let due = self
            .last_life_call
            .is_none_or(|at| at.elapsed() >= self.life_every);
        if !addressed && !due {
            return self.scripted(perception, &recall, Vec::new(), 0);
        }
        self.last_life_call = Some(Instant::now());
        let mut messages = self.request(perception, &recall).messages;
        // Told to the model in this prompt; this turn's own go to the next.
        self.notes.clear();
        let limits = ToolLimits::of(&perception.economy.entitlements);
        let mut decision = Decision::default();
        for round in 0..LLM_CALLS_PER_STEP_MAX {
            let answer = {
                let request = self.request_with(messages.clone());
                let client = client.clone().with_timeout(self.call_timeout);
                client.chat_completion(&request).await
            };
            decision.requests += 1;
            let completion = match answer {
                Ok(completion) => completion,
                Err(error) => {
                    let code = error.code().to_string();
                    let failed = self.call_failed(&error, recall.step, round);
                    if round == 0 {
                        let note =
                            format!("asking the model failed ({code}); a routine decided for you");
                        self.notes.push(note);
                        return self.scripted(perception, &recall, vec![failed], 1);
                    }
                    // Tools already ran this turn: keep what the model decided so far.
                    self.notes
                        .push(format!("asking the model again failed ({code})"));
                    decision.acts.push(failed);
                    break;
                }
            };
            (self.failures, self.paused_until) = (0, None);
            let workspace = self.toolbox.is_some();
            let read = read_tool_calls(&completion, self.me, recall.step, workspace);
            for act in &read.refused {
                let code = act.error.as_deref().unwrap_or_default();
                self.notes
                    .push(format!("your call of `{}` was not used: {code}", act.kind));
            }
            if read.called == 0 && round == 0 {
                self.notes
                    .push("you called no tool, so you did nothing".to_string());
            }
            decision.acts.push(DecideAct {
                kind: "llm",
                error: None,
            });
            decision.acts.extend(read.refused.iter().cloned());
            let room = INTENTS_PER_STEP_MAX.saturating_sub(decision.intents.len());
            decision
                .intents
                .extend(read.intents.iter().take(room).cloned());
            let Some(toolbox) = self.toolbox.as_ref() else {
                break;
            };
            if read.workspace.is_empty() {
                break;
            }
            if round + 1 == LLM_CALLS_PER_STEP_MAX {
                self.notes.push(format!(
                    "your last container tool calls were not run: a turn holds {LLM_CALLS_PER_STEP_MAX} model calls"
                ));
                break;
            }
            let turn = Turn {
                me: self.me,
                step: recall.step,
                round,
                limits,
            };
            let tools = run_tool_round(toolbox, client, &completion, &read, turn).await;
            decision.requests += tools.requests;
            decision.acts.extend(tools.acts);
            messages.extend(tools.messages);
        }
        decision.acts.truncate(DECIDE_ACTS_MAX);
        decision
    }
}

#[path = "llm_brain_pause.rs"]
mod pause;
#[path = "llm_brain_task.rs"]
mod task;
pub use pause::llm_pause;
pub use task::{
    TASK_CALLS_MAX, TASK_CALLS_MIN, TASK_FAILED_TURNS_MAX, TOKENS_PER_CALL, gave_up_answer,
    task_calls_max,
};
#[cfg(test)]
#[path = "llm_brain_tests.rs"]
mod tests;
