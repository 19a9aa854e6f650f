//! The runtime against the machine's real Docker engine: hardening (R6), the container life
//! cycle, live limit changes and the faults a node can show. No engine here means the tests
//! say they were skipped, except under `CI`, where they fail.

// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

mod agent_images;
mod disk;
mod egress_proxy;
mod egress_route;
mod egress_two_nodes;
mod engine;
mod engine_tls;
mod faults;
mod gvisor;
mod hardening;
mod holds;
mod launcher_process;
mod lifecycle;
mod outside;
mod reconcile;
mod second_engine;
mod two_nodes;
mod village;
// Shared with the other test crate, which uses other parts of it.
#[allow(dead_code)]
#[path = "../support/village_server.rs"]
mod village_server;
