//! Populations of residents generated deterministically from a spec and a seed, for
//! `village populate` and for the demo residents.

mod generate;
mod spec;

pub use generate::{POPULATION_COUNT_MAX, PopulationError, Resident, ScheduleEntry, generate};
pub use spec::{DEFAULT_SPEC_TOML, PopulationSpec, SpecError};
