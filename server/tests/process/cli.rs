//! The `village` command line: help, migrate, populate, admin create, ledger verify.

use crate::server_process::{admin_create, village};

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
    for sub in ["serve", "populate", "migrate", "admin", "ledger"] {
        assert!(out.contains(sub), "{out}");
    }
    for (sub, flag) in [
        ("serve", "--bind"),
        ("serve", "--database-url"),
        ("populate", "--preview"),
        ("migrate", "--data-dir"),
        ("admin create", "--password-stdin"),
        ("ledger verify", "--json"),
    ] {
        let mut args: Vec<&str> = sub.split(' ').collect();
        args.push("--help");
        let (ok, out, _) = run(&args);
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
    let migrations =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations/sqlite"))
            .unwrap()
            .count();
    assert!(
        out.contains(&format!("applied {migrations} migration")),
        "{out}"
    );
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

#[test]
fn admin_create_reads_the_password_from_stdin_and_refuses_bad_input() {
    // The first admin is made from standard input; a short password, a taken name, an unknown
    // role and a missing --password-stdin are refused with a clear message and change nothing.
    let dir = tempfile::tempdir().unwrap();
    let (ok, out, err) = admin_create(dir.path(), "first-admin", "a long enough password");
    assert!(ok, "{err}");
    assert!(out.contains("with role admin"), "{out}");
    let (ok, _, err) = admin_create(dir.path(), "second-admin", "short");
    assert!(!ok && err.contains("password must be"), "{err}");
    let (ok, _, err) = admin_create(dir.path(), "FIRST-admin", "another long password");
    assert!(!ok && err.contains("taken"), "{err}");
    let data = dir.path().to_str().unwrap();
    let (ok, _, err) = run(&[
        "admin",
        "create",
        "--username",
        "x-admin",
        "--data-dir",
        data,
    ]);
    assert!(!ok && err.contains("--password-stdin"), "{err}");
    let (ok, _, err) = run(&[
        "admin",
        "create",
        "--username",
        "x-admin",
        "--password-stdin",
        "--role",
        "king",
        "--data-dir",
        data,
    ]);
    assert!(!ok && err.contains("unknown role"), "{err}");
}

#[test]
fn ledger_verify_passes_a_sound_ledger_and_fails_a_tampered_one() {
    // Verify never migrates; a freshly migrated ledger verifies clean (exit 0); after a cached
    // balance is changed behind the
    // server's back, verify exits 1 and names the account, in text and in JSON.
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let (ok, _, _) = run(&["ledger", "verify", "--data-dir", data]);
    assert!(!ok, "verify does not create or migrate a database");
    let (ok, _, err) = run(&["migrate", "--data-dir", data]);
    assert!(ok, "{err}");
    let (ok, out, err) = run(&["ledger", "verify", "--data-dir", data]);
    assert!(ok, "{err}");
    assert!(out.contains("ledger verify: clean"), "{out}");
    let url = format!("sqlite://{}", dir.path().join("village.db").display());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        use sqlx::Connection;
        let mut db = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query("UPDATE ledger_accounts SET balance_micros = 5 WHERE name = 'escrow'")
            .execute(&mut db)
            .await
            .unwrap();
    });
    let (ok, out, _) = run(&["ledger", "verify", "--data-dir", data]);
    assert!(!ok);
    assert!(out.contains("PROBLEM: account escrow"), "{out}");
    assert!(out.contains("FAILED"), "{out}");
    let (ok, out, _) = run(&["ledger", "verify", "--json", "--data-dir", data]);
    assert!(!ok);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["balances_sum_micros"], 5);
}
