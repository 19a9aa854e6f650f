//! WebSocket streams: the live world stream (and its viewport filter), the board and chat
//! streams, and the frames they carry.

pub mod board_stream;
pub mod chat_stream;
pub mod event_stream;
pub mod frames;
pub mod interest;
pub mod world_stream;
