//! The population spec: the word lists and day shape that residents are generated from.
//! The default ships in `assets/population/spec.toml` and is built into the binary.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The built-in default spec.
pub const DEFAULT_SPEC_TOML: &str = include_str!("../../../assets/population/spec.toml");

/// Everything a population is generated from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PopulationSpec {
    pub given_names: Vec<String>,
    pub family_prefixes: Vec<String>,
    pub family_suffixes: Vec<String>,
    pub traits: Vec<String>,
    pub tones: Vec<String>,
    pub interests: Vec<String>,
    pub motivations: Vec<String>,
    pub roles: Vec<RoleSpec>,
    pub day: Vec<DayEntrySpec>,
    pub talk: Vec<String>,
}

/// A job: where it is done and what doing it looks like.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleSpec {
    pub title: String,
    /// The landmark kind of the workplace.
    pub workplace: String,
    pub work: Vec<String>,
}

/// One step of the day shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DayEntrySpec {
    /// Minutes after midnight, village time (0..1440).
    pub minute: u16,
    /// Landmark kinds to choose from; `home` and `workplace` mean the resident's own.
    pub kinds: Vec<String>,
    /// `work` means one of the role's work lines.
    pub activity: String,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum SpecError {
    #[error("the population spec is not valid TOML: {0}")]
    Toml(String),
    #[error("the population spec list {0:?} must not be empty")]
    EmptyList(&'static str),
    #[error("day entry at minute {0} is not within 0..1440 or out of order")]
    BadMinute(u16),
    #[error("talk line {0:?} claims an act demo residents never do (they walk, work and talk)")]
    ClaimedAct(String),
}

/// Openings of a talk line that claim an act: demo residents only walk, work and talk, so a
/// line saying they posted or fixed something would be a lie the village tells.
const CLAIMED_ACTS: [&str; 9] = [
    "i posted",
    "i replied",
    "i wrote",
    "i sent",
    "i fixed",
    "i built",
    "i bought",
    "i paid",
    "i ran ",
];

impl PopulationSpec {
    /// The built-in spec.
    pub fn builtin() -> PopulationSpec {
        // The built-in spec is checked by a unit test; it always parses.
        match PopulationSpec::parse(DEFAULT_SPEC_TOML) {
            Ok(spec) => spec,
            Err(e) => unreachable!("the built-in population spec is invalid: {e}"),
        }
    }

    /// Parses and checks a spec.
    pub fn parse(text: &str) -> Result<PopulationSpec, SpecError> {
        let spec: PopulationSpec =
            toml::from_str(text).map_err(|e| SpecError::Toml(e.to_string()))?;
        spec.check()?;
        Ok(spec)
    }

    fn check(&self) -> Result<(), SpecError> {
        let lists: [(&'static str, usize); 10] = [
            ("given_names", self.given_names.len()),
            ("family_prefixes", self.family_prefixes.len()),
            ("family_suffixes", self.family_suffixes.len()),
            ("traits", self.traits.len()),
            ("tones", self.tones.len()),
            ("interests", self.interests.len()),
            ("motivations", self.motivations.len()),
            ("roles", self.roles.len()),
            ("day", self.day.len()),
            ("talk", self.talk.len()),
        ];
        if let Some((name, _)) = lists.iter().find(|(_, len)| *len == 0) {
            return Err(SpecError::EmptyList(name));
        }
        if self.roles.iter().any(|r| r.work.is_empty()) {
            return Err(SpecError::EmptyList("roles.work"));
        }
        if self.day.iter().any(|d| d.kinds.is_empty()) {
            return Err(SpecError::EmptyList("day.kinds"));
        }
        let claims = |line: &String| {
            let lower = line.to_lowercase();
            CLAIMED_ACTS.iter().any(|claim| lower.contains(claim))
        };
        if let Some(line) = self.talk.iter().find(|l| claims(l)) {
            return Err(SpecError::ClaimedAct(line.clone()));
        }
        let mut last = None;
        for entry in &self.day {
            if entry.minute >= 1440 || last.is_some_and(|l| entry.minute <= l) {
                return Err(SpecError::BadMinute(entry.minute));
            }
            last = Some(entry.minute);
        }
        Ok(())
    }
}
