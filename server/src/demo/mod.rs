//! Demo residents: the server walks generated residents through their daily schedules and lets
//! them chat, so a fresh village is alive from the first minute. They use the same world
//! commands as any agent; real agents from the runtime replace them, and residents with an
//! account are left to their containers ([`ensure_contained`]).

mod contained;
mod driver;

pub use contained::ensure_contained;
pub use driver::{DemoResident, spawn_demo};
