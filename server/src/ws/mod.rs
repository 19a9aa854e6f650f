//! WebSocket streams: the live world stream (and its viewport filter), the board and chat
//! streams. The tick frames they send are encoded by the world task (`crate::tick_frame`).

pub mod board_stream;
pub mod chat_stream;
pub mod event_stream;
pub mod interest;
pub mod world_stream;
