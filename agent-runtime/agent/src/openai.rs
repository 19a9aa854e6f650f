//! OpenAI's chat completion format, reduced to what the LLM brain sends and reads. This is not
//! the village's contract (that is `shared::api`): the server's gateway forwards these bodies
//! to the model server as they are, so their shape is OpenAI's, and reading an answer is
//! lenient (a `null` is read as none, a call without its function is kept to be refused).

use serde::{Deserialize, Serialize};

/// `POST /v1/chat/completions`: an OpenAI chat completion request with tools, not streamed.
#[derive(Debug, Clone, Serialize)]
pub struct ChatRequest<'a> {
    /// The gateway's model name (the gateway forwards it under the upstream's name).
    pub model: &'a str,
    pub messages: Vec<ChatMessage>,
    pub tools: &'a [ToolDefinition],
    /// Which of the tools the model may or must call.
    pub tool_choice: ToolChoice,
    /// Caps the completion, and so the call's cost.
    pub max_tokens: u32,
}

/// OpenAI's `tool_choice`. Naming one function keeps every tool in the request, so the
/// prompt (the chat template writes the tools into it) stays byte-equal to the turn's other
/// calls and the model server's prefix cache still holds it; only the answer is constrained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolChoice {
    /// The model may call a tool or write text.
    Auto,
    /// The model must call one of the tools.
    Required,
    /// The model must call this function.
    Function(&'static str),
}

impl Serialize for ToolChoice {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            ToolChoice::Auto => serializer.serialize_str("auto"),
            ToolChoice::Required => serializer.serialize_str("required"),
            ToolChoice::Function(name) => serde_json::json!({
                "type": "function",
                "function": {"name": name},
            })
            .serialize(serializer),
        }
    }
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
