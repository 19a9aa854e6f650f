//! The LLM gateway's parts: settings (models, upstreams, prices), usage parsing, and settling
//! a call (charge and record). The routes and the forwarding are in `http::llm_routes`.

pub mod meter;
pub mod reservations;
pub mod settings;
pub mod usage;

pub use settings::{LlmModelSetting, LlmSettings};
