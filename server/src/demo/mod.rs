//! Demo residents: the server walks generated residents through their daily schedules and lets
//! them chat, so a fresh village is alive from the first minute. They use the same world
//! commands as any agent; real agents from the runtime replace them.

mod driver;

pub use driver::{DemoResident, spawn_demo};
