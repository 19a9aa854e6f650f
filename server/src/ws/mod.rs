//! WebSocket streams: the live world stream, the board stream, and the frames they carry.

pub mod board_stream;
pub mod frames;
pub mod world_stream;
