//! WebSocket streams: the live world stream and the frames it carries.

pub mod frames;
pub mod world_stream;
