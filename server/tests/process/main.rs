//! Tests of the `village` binary as a process: signals and crashes, memory under abuse, CLI.

// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

#[path = "../support/databases.rs"]
mod databases;

mod cli;
mod ledger_crash;
mod persistence;
mod server_process;
mod town_browser;
mod viewer_browser;
mod viewer_native;
mod viewer_tools;
mod ws_memory;
