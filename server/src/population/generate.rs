//! Deterministic generation of residents from a spec and a seed.
//!
//! The same spec, landmarks, count and seed give byte-identical output on every machine:
//! ChaCha8 is a portable generator, every choice is drawn in a fixed order, and the landmarks
//! are taken sorted by key. Nothing here reads the clock or the environment.

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use shared::Landmark;
use std::collections::HashSet;
use thiserror::Error;

use super::spec::PopulationSpec;

/// Most residents one call may generate.
pub const POPULATION_COUNT_MAX: usize = 20_000;
/// Attempts at a fresh name before a numeral is added to make it unique.
const NAME_ATTEMPTS_MAX: usize = 64;

/// A generated resident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resident {
    pub display_name: String,
    pub persona: String,
    /// The landmark key of its home.
    pub home: String,
    pub role: String,
    /// The landmark key of its workplace.
    pub workplace: String,
    pub interests: Vec<String>,
    pub tone: String,
    pub schedule: Vec<ScheduleEntry>,
}

/// Where a resident goes at a time of the village day, and what it does there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleEntry {
    /// Minutes after midnight, village time.
    pub minute: u16,
    pub landmark: String,
    pub activity: String,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum PopulationError {
    #[error("count {0} is over the limit of {POPULATION_COUNT_MAX}")]
    TooMany(usize),
    #[error("the map has no landmark of kind {0:?}, which the spec needs")]
    MissingKind(String),
}

/// Generates `count` residents for a map with `landmarks`.
pub fn generate(
    spec: &PopulationSpec,
    landmarks: &[Landmark],
    count: usize,
    seed: u64,
) -> Result<Vec<Resident>, PopulationError> {
    if count > POPULATION_COUNT_MAX {
        return Err(PopulationError::TooMany(count));
    }
    let mut sorted: Vec<&Landmark> = landmarks.iter().collect();
    sorted.sort_by(|a, b| a.key.cmp(&b.key));
    let of_kind = |kind: &str| -> Result<Vec<&str>, PopulationError> {
        let keys: Vec<&str> = sorted
            .iter()
            .filter(|l| l.kind == kind)
            .map(|l| l.key.as_str())
            .collect();
        if keys.is_empty() {
            Err(PopulationError::MissingKind(kind.to_string()))
        } else {
            Ok(keys)
        }
    };
    let homes = of_kind("home")?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut names = HashSet::new();
    let mut residents = Vec::with_capacity(count);
    for _ in 0..count {
        let display_name = unique_name(spec, &mut rng, &mut names);
        let role = pick(&mut rng, &spec.roles);
        let workplace = pick(&mut rng, &of_kind(&role.workplace)?).to_string();
        let home = pick(&mut rng, &homes).to_string();
        let interests = pick_distinct(&mut rng, &spec.interests, 3);
        let tone = pick(&mut rng, &spec.tones).clone();
        let trait_word = pick(&mut rng, &spec.traits);
        let motivation = pick(&mut rng, &spec.motivations);
        let persona = format!(
            "{display_name} is a {trait_word} {} who {motivation}. Interested in {}. Speaks in a {tone} way.",
            role.title,
            interests.join(", ")
        );
        let mut schedule = Vec::with_capacity(spec.day.len());
        for entry in &spec.day {
            let kind = pick(&mut rng, &entry.kinds);
            let landmark = match kind.as_str() {
                "home" => home.clone(),
                "workplace" => workplace.clone(),
                other => pick(&mut rng, &of_kind(other)?).to_string(),
            };
            let activity = if entry.activity == "work" {
                pick(&mut rng, &role.work).clone()
            } else {
                entry.activity.clone()
            };
            // Up to 20 minutes late, so residents do not all set off at once.
            let minute = (entry.minute + rng.random_range(0..=20)).min(1439);
            schedule.push(ScheduleEntry {
                minute,
                landmark,
                activity,
            });
        }
        residents.push(Resident {
            display_name,
            persona,
            home,
            role: role.title.clone(),
            workplace,
            interests,
            tone,
            schedule,
        });
    }
    Ok(residents)
}

fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    // Spec lists are checked non-empty and landmark lists come from `of_kind`, which refuses
    // empty ones, so there is always something to choose.
    match items.choose(rng) {
        Some(item) => item,
        None => unreachable!("choosing from an empty list"),
    }
}

fn pick_distinct(rng: &mut ChaCha8Rng, items: &[String], n: usize) -> Vec<String> {
    let mut chosen: Vec<String> = items
        .choose_multiple(rng, n.min(items.len()))
        .cloned()
        .collect();
    chosen.sort();
    chosen
}

fn unique_name(spec: &PopulationSpec, rng: &mut ChaCha8Rng, taken: &mut HashSet<String>) -> String {
    let mut name = String::new();
    for _ in 0..NAME_ATTEMPTS_MAX {
        name = format!(
            "{} {}{}",
            pick(rng, &spec.given_names),
            pick(rng, &spec.family_prefixes),
            pick(rng, &spec.family_suffixes)
        );
        if taken.insert(name.clone()) {
            return name;
        }
    }
    // The word lists are exhausted for this draw: number the last name until it is unique.
    let base = name;
    let mut n = 2;
    loop {
        let numbered = format!("{base} {n}");
        if taken.insert(numbered.clone()) {
            return numbered;
        }
        n += 1;
    }
}
