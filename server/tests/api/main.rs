//! HTTP and WebSocket tests against a real server on port 0 with a fresh SQLite database each.

// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod actions;
mod agents;
mod errors;
mod health;
mod helpers;
mod moves;
mod openapi;
mod perception;
mod stream;
