//! The AI Village world server as a library, so tests and benches build the same application
//! the `village` binary runs.

pub mod app_router;
pub mod auth;
pub mod board;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod compliance;
pub mod config;
pub mod data_dir;
pub mod demo;
pub mod disk_limit;
pub mod economy;
pub mod fields;
pub mod http;
pub mod kill_switch;
pub mod llm;
pub mod metrics;
pub mod notebooks;
pub mod paging;
pub mod payments;
pub mod population;
pub mod runtime_changes;
pub mod runtime_reports;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod tick_frame;
pub mod tier_announce;
pub mod tool_calls;
pub mod town;
pub mod world;
pub mod ws;
