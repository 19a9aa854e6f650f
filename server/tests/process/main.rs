//! Tests of the `village` binary as a process: signals and crashes, memory under abuse, CLI.

// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod cli;
mod persistence;
mod server_process;
mod ws_memory;
