//! WebSocket streams: the live world stream, the board and chat streams, and the frames they
//! carry.

pub mod board_stream;
pub mod chat_stream;
pub mod event_stream;
pub mod frames;
pub mod world_stream;
