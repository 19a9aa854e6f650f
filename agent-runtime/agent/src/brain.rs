//! The decide step's contract: a [`Brain`] turns what the agent perceives, plus what it recalls
//! of its last step, into a short list of [`Intent`]s; the loop carries them out and reports
//! each one's [`Outcome`] at the next step. A brain does no I/O and reads no clock, so a brain
//! is tested with a made-up perception and no server. Brains: `scripted.rs` (rules, no LLM).
//!
//! The loop itself asks a [`Decider`], the async form of the same step, which may call the API
//! (the LLM brain, `llm_brain.rs`, asks the server's gateway) and says what that call did. Every
//! pure [`Brain`] is a [`Decider`] that calls nothing, so pure brains stay pure and synchronous.

use std::future::Future;

use shared::api::AgentPerception;
use shared::{Audience, ChatId, MessageId, PostId};

use super::client::ApiClient;
use super::tools::{ToolRequest, ToolRun};

/// Most intents one step carries out: keeps a step's requests (and its time) bounded.
pub const INTENTS_PER_STEP_MAX: usize = 4;

/// One thing the agent means to do this step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intent {
    /// Walk to any free tile of a landmark.
    MoveTo { landmark: String },
    /// Work where it stands (it must stand on a landmark).
    Work { detail: String },
    /// Show itself busy at the board (it must stand on it).
    UseBoard,
    /// Say a line to the agents within earshot.
    Talk { text: String },
    /// Write a post on the board (it must stand on it).
    Post {
        title: String,
        body: String,
        tags: Vec<String>,
        audience: Audience,
    },
    /// Answer in a thread (it must stand on the board).
    Reply { post_id: PostId, body: String },
    /// Write in one of its task chats; `through` is the person's latest message it answers.
    ChatMessage {
        chat_id: ChatId,
        body: String,
        through: MessageId,
    },
    /// Buy a compute boost; `transfer_id` makes a retry buy it once.
    BuyBoost {
        transfer_id: String,
        tier: String,
        hours: u32,
    },
    /// Run a tool in the container (reported to the server's audit before its result is
    /// used); the result comes back as [`Outcome::Ran`].
    Tool { request: ToolRequest },
}

impl Intent {
    /// A short name for logs and memory.
    pub fn kind(&self) -> &'static str {
        match self {
            Intent::MoveTo { .. } => "move",
            Intent::Work { .. } => "work",
            Intent::UseBoard => "use_board",
            Intent::Talk { .. } => "talk",
            Intent::Post { .. } => "post",
            Intent::Reply { .. } => "reply",
            Intent::ChatMessage { .. } => "chat_message",
            Intent::BuyBoost { .. } => "buy_boost",
            Intent::Tool { request } => request.kind().as_str(),
        }
    }
}

/// What became of an intent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Done,
    /// A tool ran (or was refused) and the server recorded the call: what it did.
    Ran(ToolRun),
    /// Refused or failed: the HTTP status when the server answered, and the error code (the
    /// server's, or `timeout`, `connect`, ...).
    Failed {
        status: Option<u16>,
        code: String,
    },
}

impl Outcome {
    pub fn is_done(&self) -> bool {
        matches!(self, Outcome::Done | Outcome::Ran(_))
    }
}

/// What the agent recalls when deciding.
#[derive(Debug, Clone, Copy)]
pub struct Recall<'a> {
    /// This step's number; it keeps counting across restarts (it is kept in memory).
    pub step: u64,
    /// The previous step's intents and what became of each (empty after a restart, or when
    /// the previous step could not perceive).
    pub previous: &'a [(Intent, Outcome)],
}

/// Decides what the agent does next.
pub trait Brain: Send {
    /// A short name for logs (`scripted`).
    fn name(&self) -> &'static str;

    /// The intents for this step, in order, at most [`INTENTS_PER_STEP_MAX`] (the loop drops
    /// any beyond).
    fn decide(&mut self, perception: &AgentPerception, recall: &Recall<'_>) -> Vec<Intent>;
}

/// Most [`DecideAct`]s one decision records, so a step's memory line stays bounded.
pub const DECIDE_ACTS_MAX: usize = 8;

/// Something the decide step itself did, remembered with the step's acts: a call to the LLM
/// gateway (`llm`), a container tool the model had run (`shell`, `read_file`, ...), or a tool
/// call of the model that could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecideAct {
    /// `llm`, a tool's name, or `llm_tool` for a tool this agent does not have.
    pub kind: &'static str,
    /// The error code when it failed (`timeout`, `insufficient_funds`, `invalid_arguments`, ...).
    pub error: Option<String>,
}

/// What the decide step settled on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decision {
    /// The intents, in order (the loop carries out at most [`INTENTS_PER_STEP_MAX`]).
    pub intents: Vec<Intent>,
    /// What deciding did, at most [`DECIDE_ACTS_MAX`] (the loop drops any beyond).
    pub acts: Vec<DecideAct>,
    /// API requests deciding made; they count against the tier's request rate.
    pub requests: u32,
}

/// The loop's decide step. Every [`Brain`] is one that makes no request.
pub trait Decider: Send {
    /// A short name for logs (`scripted`, `llm`).
    fn label(&self) -> &'static str;

    /// Decides this step; may call the API through `client` as the agent. Never fails: what
    /// went wrong is in the decision's [`DecideAct`]s.
    fn decide_step<'a>(
        &'a mut self,
        client: &'a ApiClient,
        perception: &'a AgentPerception,
        recall: Recall<'a>,
    ) -> impl Future<Output = Decision> + Send + 'a;
}

impl<B: Brain + ?Sized> Decider for B {
    fn label(&self) -> &'static str {
        self.name()
    }

    fn decide_step<'a>(
        &'a mut self,
        _client: &'a ApiClient,
        perception: &'a AgentPerception,
        recall: Recall<'a>,
    ) -> impl Future<Output = Decision> + Send + 'a {
        let intents = self.decide(perception, &recall);
        std::future::ready(Decision {
            intents,
            ..Decision::default()
        })
    }
}
