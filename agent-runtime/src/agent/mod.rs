//! The in-container agent, `village-agent`: one process per agent, inside its container, that
//! lives in the village through the server's HTTP API with its own token. It must not reach
//! anything but that API (TCP, or the unix socket mounted into a container with no network).
//!
//! - [`config`]: its settings, from the environment only;
//! - [`client`]: the HTTP/1.1 JSON client (TCP or unix socket), with [`wire`] the bodies the
//!   `shared` crate does not hold;
//! - [`brain`]: the decide contract, and [`scripted`] the rule-based brain (no LLM);
//! - [`memory`]: the reflect step, a bounded JSON-lines file in the workspace;
//! - [`run_loop`]: perceive → decide → act → reflect, with backoff, refusal and stop handling.

pub mod brain;
pub mod client;
pub mod config;
pub mod memory;
pub mod run_loop;
pub mod scripted;
pub mod wire;
