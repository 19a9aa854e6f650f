//! The in-container agent against a real village server started in this process: the loop
//! perceives, walks, answers and asks on the board and buys compute over TCP and over a unix
//! socket, remembers one line per step, and the `village-agent` binary stops cleanly on SIGTERM
//! and exits with its own code when its token is revoked.

// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod in_process;
mod process;
// Shared with the other test crate, which uses other parts of it.
#[allow(dead_code)]
#[path = "../support/village_server.rs"]
mod server;
