//! The agent's view of the server's request and answer bodies that the `shared` crate does not
//! hold (they live in the server: perception, move plan, action outcome, standing, transfer).
//! Answers are read leniently: only the fields the agent uses, unknown ones ignored, so a
//! newer server does not break an older agent. Requests are written exactly as the server's
//! handlers (`server/src/http/*.rs`) read them, since those reject unknown fields. Where
//! `shared` has the type (agent views, posts, replies, landmarks, positions) it is used as is.
//! The LLM gateway's bodies are OpenAI's chat completion, reduced to what the LLM brain sends
//! and reads.

use serde::{Deserialize, Serialize};
use shared::{AgentId, AgentView, Audience, BoardPost, BoardReply, Landmark, Tick, TilePos};

/// `GET /agents/{id}/perception`: what the agent sees, hears and got on the board.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Perception {
    pub tick: Tick,
    /// The agent itself, with its profile (persona, home).
    pub me: AgentView,
    /// The landmark it stands on.
    pub at_landmark: Option<String>,
    /// Other agents nearby, nearest first.
    #[serde(default)]
    pub agents: Vec<NearbyAgent>,
    /// Landmarks nearby, nearest first.
    #[serde(default)]
    pub landmarks: Vec<NearbyLandmark>,
    /// Speech heard, oldest first.
    #[serde(default)]
    pub heard: Vec<HeardSpeech>,
    pub board: BoardFeed,
    pub economy: Standing,
    /// Its disk as last measured (the limit is `economy.entitlements.disk_mib`).
    #[serde(default)]
    pub disk: Option<shared::runtime::DiskUse>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct NearbyAgent {
    /// Tiles away (Chebyshev).
    pub distance: u32,
    pub agent: AgentView,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct NearbyLandmark {
    /// Tiles to its nearest tile; 0 when standing on it.
    pub distance: u32,
    pub landmark: Landmark,
}

/// A line another agent said within earshot.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct HeardSpeech {
    pub tick: Tick,
    pub from: AgentId,
    pub from_name: String,
    pub from_pos: TilePos,
    pub text: String,
}

/// New board items for the agent since the cursor it passed.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct BoardFeed {
    /// Replies by others under the agent's posts, oldest first.
    #[serde(default)]
    pub replies_to_my_posts: Vec<BoardReply>,
    /// Posts addressed to the agent (`agent:<id>`), oldest first.
    #[serde(default)]
    pub posts_to_me: Vec<BoardPost>,
    /// `r<reply>-p<post>`: pass back to get only newer items.
    pub cursor: String,
}

/// An agent's money and tier (`GET /economy/balance/{id}`, and in the perception).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Standing {
    pub agent_id: u64,
    pub balance_micros: i64,
    /// The tier in force.
    pub tier: String,
    /// The tier the balance alone reaches.
    pub balance_tier: String,
    /// The live boost, if any.
    pub boost: Option<BoostView>,
    /// What its tier grants: the loop paces itself by the request rate, the tools follow the
    /// tool runs and egress, the LLM brain the models, the prompt the disk.
    pub entitlements: shared::tier::Entitlements,
    /// Set when a downgrade of the tier is near.
    #[serde(default)]
    pub downgrade_warning: bool,
}

/// A live compute boost.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BoostView {
    pub tier: String,
    pub starts_ms: i64,
    pub ends_ms: i64,
}

/// `POST /agents/{id}/move` with a landmark (the server takes exactly one target form).
#[derive(Debug, Clone, Serialize)]
pub struct MoveToLandmark<'a> {
    pub landmark: &'a str,
}

/// `POST /agents/{id}/move` answer: the walk set in motion.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MovePlan {
    pub from: TilePos,
    pub to: TilePos,
    /// Ticks to walk; 0 when already there.
    pub steps: usize,
    pub landmark: Option<String>,
}

/// `POST /agents/{id}/action`: `talk` (with `text`), `work` (optional `detail`), `use_board`,
/// `idle`; fields that do not go with the action are left out.
#[derive(Debug, Clone, Serialize)]
pub struct ActionRequest<'a> {
    pub action: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<&'a str>,
}

/// `POST /agents/{id}/action` answer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ActionOutcome {
    pub action: String,
    pub activity: shared::Activity,
    pub heard_by: Option<usize>,
}

/// `POST /board/posts`.
#[derive(Debug, Clone, Serialize)]
pub struct NewPost<'a> {
    pub title: &'a str,
    pub body: &'a str,
    pub tags: &'a [String],
    pub audience: Audience,
}

/// `POST /board/posts/{id}/replies`.
#[derive(Debug, Clone, Serialize)]
pub struct NewReply<'a> {
    pub body: &'a str,
}

/// `POST /economy/purchase`: a boost of `tier` for `hours`, idempotent by `transfer_id`.
#[derive(Debug, Clone, Serialize)]
pub struct PurchaseRequest<'a> {
    pub transfer_id: &'a str,
    pub tier: &'a str,
    pub hours: u32,
}

/// `POST /economy/purchase` answer, reduced to what the agent records.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PurchaseResult {
    /// True when the server answered a retry of an earlier purchase with the same id.
    pub replayed: bool,
    pub boost: Option<BoostView>,
}

/// The server's error body: `{"error": {"code", "message"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ErrorEnvelope {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
}

/// `POST /v1/chat/completions`: an OpenAI chat completion request with tools, not streamed.
#[derive(Debug, Clone, Serialize)]
pub struct ChatRequest<'a> {
    /// The gateway's model name (the gateway forwards it under the upstream's name).
    pub model: &'a str,
    pub messages: Vec<ChatMessage>,
    pub tools: &'a [ToolDefinition],
    /// `auto`: the model may answer with tool calls.
    pub tool_choice: &'static str,
    /// Caps the completion, and so the call's cost.
    pub max_tokens: u32,
}

/// One message of the conversation: `system` and `user` open it; within one step, the
/// model's `assistant` answer with its tool calls, then one `tool` message per call with what
/// it did (the brain sends no history across steps).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChatMessage {
    pub role: &'static str,
    pub content: String,
    /// The assistant's tool calls, sent back as the model made them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<serde_json::Value>,
    /// The call a `tool` message answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
}

impl ChatMessage {
    /// A plain message of `role`.
    pub fn text(role: &'static str, content: String) -> ChatMessage {
        ChatMessage {
            role,
            content,
            tool_calls: Vec::new(),
            tool_call_id: None,
        }
    }
}

/// An OpenAI tool: `{"type": "function", "function": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToolDefinition {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub function: FunctionDefinition,
}

/// A function the model may call, its parameters as a JSON schema.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FunctionDefinition {
    pub name: &'static str,
    pub description: &'static str,
    pub parameters: serde_json::Value,
}

/// `POST /v1/chat/completions` answer, reduced to the choices.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ChatCompletion {
    #[serde(default)]
    pub choices: Vec<ChatChoice>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ChatChoice {
    pub message: AssistantMessage,
}

/// The model's answer: text, tool calls, or both (`null` read as none).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AssistantMessage {
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default)]
    pub tool_calls: Option<Vec<ToolCall>>,
}

/// One tool call; a call without its function is kept, to be refused, not to fail the answer.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ToolCall {
    /// The id a `tool` message answering the call names.
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub function: Option<FunctionCall>,
}

/// The function called and its arguments: OpenAI sends a JSON text, some servers an object.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct FunctionCall {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub arguments: serde_json::Value,
}
