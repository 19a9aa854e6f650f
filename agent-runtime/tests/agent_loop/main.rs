//! The in-container agent against a real village server started in this process: the loop
//! perceives, walks, answers and asks on the board and buys compute over TCP and over a unix
//! socket, remembers one line per step, and the `village-agent` binary stops cleanly on SIGTERM
//! and exits with its own code when its token is revoked; `village-node`'s relay carries an
//! agent's loop to the server; the LLM brain decides through the
//! server's gateway (to a fake upstream) and falls back to the scripted brain when it fails.

// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod in_process;
mod llm;
mod llm_chats;
mod llm_tasks;
mod process;
mod relay;
// Shared with the other test crate, which uses other parts of it.
#[allow(dead_code)]
#[path = "../support/village_server.rs"]
mod server;
