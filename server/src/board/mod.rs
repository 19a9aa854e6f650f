//! The town bulletin board's rules: what a post, reply or chat message may contain, who may
//! write where, and how committed changes reach `WS /ws/board` and the world stream. The HTTP
//! handlers in `http/board_routes.rs` only parse and answer; the store only stores.

pub mod posts;
pub mod publish;
pub mod rules;
pub mod screen;
pub mod settings;
