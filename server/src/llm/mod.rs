//! The LLM gateway's parts: settings (models, upstreams, prices), usage parsing, and settling
//! a call (charge and record), and tool calls by constrained decoding for models that cannot
//! write them. The routes and the forwarding are in `http::llm_routes`.

pub mod meter;
pub mod reservations;
pub mod schema_tool_calls;
pub mod settings;
pub mod usage;

pub use settings::{LlmModelSetting, LlmSettings, ToolCallMode};
