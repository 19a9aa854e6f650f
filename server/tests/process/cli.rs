//! The `village` command line: help, migrate, populate.

use crate::server_process::village;

fn run(args: &[&str]) -> (bool, String, String) {
    let output = village().args(args).output().unwrap();
    (
        output.status.success(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn every_subcommand_has_help() {
    // `village --help` lists the subcommands and each one's help names its flags.
    let (ok, out, _) = run(&["--help"]);
    assert!(ok);
    for sub in ["serve", "populate", "migrate"] {
        assert!(out.contains(sub), "{out}");
    }
    for (sub, flag) in [
        ("serve", "--bind"),
        ("serve", "--database-url"),
        ("populate", "--preview"),
        ("migrate", "--data-dir"),
    ] {
        let (ok, out, _) = run(&[sub, "--help"]);
        assert!(ok && out.contains(flag), "{sub} --help lacks {flag}: {out}");
    }
}

#[test]
fn migrate_applies_once_then_finds_nothing_to_do() {
    // The first migrate applies the schema; the second applies nothing.
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let (ok, out, err) = run(&["migrate", "--data-dir", data]);
    assert!(ok, "{err}");
    assert!(out.contains("applied 1 migration"), "{out}");
    let (ok, out, _) = run(&["migrate", "--data-dir", data]);
    assert!(ok && out.contains("applied 0 migration"), "{out}");
}

#[test]
fn populate_previews_the_golden_village_and_writes_residents_once() {
    // The preview of seed 42 is byte-identical to the golden file, twice; writing is idempotent;
    // a count over the limit is refused.
    let golden = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/golden/population_seed42_n12.json"
    ))
    .unwrap();
    for _ in 0..2 {
        let (ok, out, err) = run(&[
            "populate",
            "--count",
            "12",
            "--seed",
            "42",
            "--preview",
            "12",
        ]);
        assert!(ok, "{err}");
        assert_eq!(out, golden);
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let (ok, out, err) = run(&[
        "populate",
        "--count",
        "5",
        "--seed",
        "3",
        "--data-dir",
        data,
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("created 5 of 5"), "{out}");
    let (ok, out, _) = run(&[
        "populate",
        "--count",
        "5",
        "--seed",
        "3",
        "--data-dir",
        data,
    ]);
    assert!(ok && out.contains("created 0 of 5"), "{out}");
    let (ok, _, err) = run(&[
        "populate",
        "--count",
        "1000000",
        "--seed",
        "3",
        "--preview",
        "1",
    ]);
    assert!(!ok);
    assert!(err.contains("over the limit"), "{err}");
}
