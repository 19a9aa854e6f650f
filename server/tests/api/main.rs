//! HTTP and WebSocket tests against a real server on port 0 with a fresh database each (SQLite,
//! and PostgreSQL where a test says so).

// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

#[path = "../support/databases.rs"]
mod databases;

mod actions;
mod agent_brain;
mod agent_door;
mod agents;
mod auth;
mod authz;
mod board;
mod chats;
mod compliance;
mod concurrent_moderation;
mod disk_limit;
mod economy;
mod errors;
mod health;
mod helpers;
mod kill_switch;
mod limits;
mod llm;
mod llm_allowance;
mod llm_schema_tools;
mod moderation;
mod moves;
mod notebook;
mod openapi;
mod openapi_limits;
mod payments;
mod perception;
mod puppets;
mod runtime;
mod runtime_watch;
mod stream;
mod tool_calls;
mod town;
mod town_authz;
mod town_client;
mod view_tiers;
mod viewer;
