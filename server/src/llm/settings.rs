//! Settings of the LLM gateway (`[llm]`): which model names agents may ask for, where each is
//! served (an OpenAI-compatible upstream: vLLM, Ollama), and its price. Types only; `config.rs`
//! loads them. API keys are secrets: `Debug` redacts them.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One model agents may call.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LlmModelSetting {
    /// The name agents use (and tiers list), e.g. `village-small`.
    pub name: String,
    /// The upstream's OpenAI-compatible base URL, e.g. `http://sparky1:8000/v1` (plain HTTP:
    /// the server is built without TLS).
    pub upstream_url: String,
    /// The model's name at the upstream (default: `name`).
    #[serde(default)]
    pub upstream_model: Option<String>,
    /// Sent as `Authorization: Bearer` to the upstream, if set.
    #[serde(default)]
    pub api_key: Option<String>,
    /// What 1,000 tokens (prompt plus completion) cost the agent, in micro-aiDollar; 0: free.
    #[serde(default)]
    pub price_per_1k_tokens_micros: i64,
    /// How the upstream makes tool calls (`native`, or `json_schema` for models that do not).
    #[serde(default)]
    pub tool_calls: ToolCallMode,
}

/// How an upstream makes tool calls.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolCallMode {
    /// The upstream writes OpenAI `tool_calls` itself (vLLM with a tool parser, larger models).
    #[default]
    Native,
    /// The gateway asks for one call as JSON under the upstream's schema-constrained decoding
    /// and turns it into a tool call (`llm::schema_tool_calls`); streaming with tools is refused.
    JsonSchema,
}

impl fmt::Debug for LlmModelSetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LlmModelSetting")
            .field("name", &self.name)
            .field("upstream_url", &self.upstream_url)
            .field("upstream_model", &self.upstream_model)
            .field("api_key", &self.api_key.as_ref().map(|_| "***"))
            .field(
                "price_per_1k_tokens_micros",
                &self.price_per_1k_tokens_micros,
            )
            .field("tool_calls", &self.tool_calls)
            .finish()
    }
}

/// The `[llm]` section.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LlmSettings {
    /// The models served; a tier's model that is not here answers `503 model_unavailable`.
    pub models: Vec<LlmModelSetting>,
    /// How long a call may take upstream, streaming included.
    pub upstream_timeout_ms: u64,
    /// `max_tokens` put into a request that names none, so every call's cost is bounded.
    pub default_max_tokens: u32,
    /// Largest request body of `POST /v1/chat/completions`.
    pub request_bytes_max: usize,
    /// Largest upstream answer read whole (non-streaming calls).
    pub response_bytes_max: usize,
    /// Tokens an hour each agent may use free on the smallest model (the first the first tier
    /// lists), even when it is priced: an agent at zero balance can still think, ask for help
    /// and earn. Calls past it are paid (or refused, 402, without the funds); 0: none free.
    pub free_tokens_per_hour: i64,
}

impl Default for LlmSettings {
    fn default() -> Self {
        Self {
            models: Vec::new(),
            upstream_timeout_ms: 120_000,
            default_max_tokens: 1024,
            request_bytes_max: 1024 * 1024,
            response_bytes_max: 8 * 1024 * 1024,
            free_tokens_per_hour: 6_000,
        }
    }
}

impl LlmSettings {
    /// Checks the section; the error says which key is wrong.
    pub fn validate(&self) -> Result<(), String> {
        for model in &self.models {
            let http = model.upstream_url.starts_with("http://");
            if model.name.is_empty() || !http || model.price_per_1k_tokens_micros < 0 {
                return Err(
                    "every llm.models entry needs a name, an http:// upstream_url and a price >= 0"
                        .into(),
                );
            }
        }
        if self.free_tokens_per_hour < 0 {
            return Err("llm.free_tokens_per_hour must be at least 0".into());
        }
        if self.upstream_timeout_ms == 0 || self.default_max_tokens == 0 {
            return Err(
                "llm.upstream_timeout_ms and llm.default_max_tokens must be at least 1".into(),
            );
        }
        Ok(())
    }

    /// The model called `name`.
    pub fn model(&self, name: &str) -> Option<&LlmModelSetting> {
        self.models.iter().find(|m| m.name == name)
    }
}
