//! The population generator is deterministic: the same spec and seed give byte-identical
//! output (pinned by a golden file), other seeds give other villages, names are unique.
//! Regenerate the golden file with `UPDATE_GOLDEN=1 cargo test --test population_golden`.

// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::path::Path;

use village_server::population::{PopulationSpec, generate};
use village_server::world::TileMap;

const GOLDEN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/golden/population_seed42_n12.json"
);

fn map() -> TileMap {
    TileMap::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets"),
        "maps/village.tmx",
    )
    .unwrap()
}

fn render(count: usize, seed: u64) -> String {
    let residents = generate(&PopulationSpec::builtin(), map().landmarks(), count, seed).unwrap();
    serde_json::to_string_pretty(&residents).unwrap() + "\n"
}

#[test]
fn seed_42_matches_the_golden_file_byte_for_byte() {
    // Twelve residents from seed 42 are exactly the committed ones.
    let rendered = render(12, 42);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(GOLDEN, &rendered).unwrap();
    }
    let golden = std::fs::read_to_string(GOLDEN).unwrap();
    assert_eq!(
        rendered, golden,
        "the population for seed 42 changed; see docs/REPRODUCIBILITY.md"
    );
    assert_eq!(render(12, 42), rendered, "two runs in one process agree");
}

#[test]
fn other_seeds_give_other_villages_and_a_prefix_of_a_bigger_one() {
    // Seeds 1 and 2 differ; the first residents of a bigger population are the same ones.
    assert_ne!(render(12, 1), render(12, 2));
    let small = generate(&PopulationSpec::builtin(), map().landmarks(), 5, 9).unwrap();
    let big = generate(&PopulationSpec::builtin(), map().landmarks(), 50, 9).unwrap();
    assert_eq!(small[..], big[..5]);
}

#[test]
fn names_are_unique_and_homes_and_schedules_are_valid() {
    // Even for 5,000 residents every name is unique, every home is a home landmark and every
    // schedule names known landmarks in time order.
    let map = map();
    let residents = generate(&PopulationSpec::builtin(), map.landmarks(), 5_000, 7).unwrap();
    let names: HashSet<&str> = residents.iter().map(|r| r.display_name.as_str()).collect();
    assert_eq!(names.len(), residents.len());
    for resident in &residents {
        assert_eq!(map.landmark(&resident.home).unwrap().kind, "home");
        assert!(map.landmark(&resident.workplace).is_some());
        assert!(
            resident
                .schedule
                .windows(2)
                .all(|w| w[0].minute < w[1].minute),
            "{resident:?}"
        );
        assert!(
            resident
                .schedule
                .iter()
                .all(|e| map.landmark(&e.landmark).is_some())
        );
        assert_eq!(resident.interests.len(), 3);
    }
}

#[test]
fn a_spec_with_an_empty_list_is_refused() {
    // The built-in spec with one list emptied is refused for exactly that list, not a panic.
    use village_server::population::SpecError;
    let spec = village_server::population::DEFAULT_SPEC_TOML;
    let start = spec.find("given_names = [").unwrap();
    let end = start + spec[start..].find(']').unwrap() + 1;
    let emptied = format!("{}given_names = []{}", &spec[..start], &spec[end..]);
    assert_eq!(
        PopulationSpec::parse(&emptied),
        Err(SpecError::EmptyList("given_names"))
    );
    assert!(PopulationSpec::parse(spec).is_ok());
}

#[test]
fn a_talk_line_claiming_an_act_residents_never_do_is_refused() {
    // Demo residents only walk, work and talk: a line saying "I posted a question" would be a
    // false claim (they never post), so the spec refuses it; the built-in spec has none.
    use village_server::population::SpecError;
    let spec = village_server::population::DEFAULT_SPEC_TOML;
    let talk = "talk = [\n";
    let at = spec.find(talk).unwrap() + talk.len();
    let line = "I posted a question about {interest} on the board.";
    let lying = format!("{}  \"{line}\",\n{}", &spec[..at], &spec[at..]);
    assert_eq!(
        PopulationSpec::parse(&lying),
        Err(SpecError::ClaimedAct(line.into()))
    );
    assert!(PopulationSpec::parse(spec).is_ok());
}
