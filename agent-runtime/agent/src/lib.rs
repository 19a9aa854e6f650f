//! The in-container agent, `village-agent`: one process per agent, inside its container, that
//! lives in the village through the server's HTTP API with its own token. It must not reach
//! anything but that API (TCP, or the unix socket mounted into a container with no network).
//!
//! - [`config`]: its settings, from the environment only;
//! - [`client`]: the HTTP/1.1 JSON client (TCP or unix socket), paced by the tier's request
//!   rate ([`request_pace`]); every body it sends and reads
//!   is a `shared::api` type, but the LLM gateway's, which are OpenAI's ([`openai`]);
//! - [`brain`]: the decide contract, [`scripted`] the rule-based brain (no LLM), and
//!   [`llm_brain`] the brain that asks the server's LLM gateway (the scripted one its fallback),
//!   with [`llm_prompt`] its prompts and [`llm_tools`] the tools it offers and the model's tool
//!   calls read into intents;
//! - the tasks people give it: [`chat_watch`] and [`post_watch`] find the task chats and
//!   posts waiting for its answer, [`task_book`] remembers every task's state and work (in
//!   the workspace), [`task_desk`] picks the next and sends its answer, [`task_ask`] is a
//!   task as a turn sees it, [`task_prompt`] its bounded prompts and [`task_turn`] the LLM
//!   brain's turn that works on it;
//! - [`tools`]: the shell and file tools inside the container, each call reported to the
//!   server's audit before its result is used;
//! - [`memory`]: the reflect step, a bounded JSON-lines file in the workspace;
//! - [`run_loop`]: perceive → decide → act → reflect, with backoff, refusal and stop handling;
//! - [`disk_meter`]: `village-agent measure-disk`, run by the launcher in a meter container to
//!   count what workspaces hold.
//!
//! Its own crate, on `shared` and an HTTP client only: it compiles without the launcher's
//! bollard, axum and prometheus, and the launcher depends on it only for the disk meter's
//! output and the token path they share.

mod acting;
pub mod asked_commands;
pub mod brain;
pub mod chat_watch;
pub mod client;
mod client_error;
pub mod config;
pub mod disk_meter;
pub mod llm_brain;
pub mod llm_prompt;
mod llm_tool_round;
pub mod llm_tool_schemas;
pub mod llm_tools;
pub mod memory;
pub mod openai;
pub mod post_watch;
pub mod request_pace;
pub mod run_loop;
pub mod scripted;
pub mod scripted_operator;
pub mod task_ask;
pub mod task_book;
pub mod task_desk;
pub mod task_prompt;
pub mod task_turn;
#[cfg(test)]
mod test_fixtures;
pub mod tools;
mod workspace_file;
