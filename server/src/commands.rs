//! What `village populate`, `village migrate`, `village admin create` and `village ledger
//! verify` do (`serve` is [`crate::startup`]).

use std::io::Write;

use anyhow::Context;

use crate::auth::Role;
use crate::auth::accounts_admin::create_password_account;
use crate::cli::{AdminCreateArgs, LedgerVerifyArgs, PopulateArgs};
use crate::config::Settings;
use crate::http::error::ApiError;
use crate::population::{PopulationSpec, generate};
use crate::startup::insert_residents;
use crate::store::{AuditEntry, Store};
use crate::world::TileMap;

/// Generates residents; previews them as JSON on `out`, or writes them to the store.
pub async fn populate(
    settings: &Settings,
    args: &PopulateArgs,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let spec = match &args.spec {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            PopulationSpec::parse(&text)?
        }
        None => PopulationSpec::builtin(),
    };
    let map = TileMap::load(&settings.server.assets_dir, &settings.world.map_file)
        .context("loading the map")?;
    let residents = generate(&spec, map.landmarks(), args.count, args.seed)?;
    if let Some(k) = args.preview {
        let shown = &residents[..k.min(residents.len())];
        serde_json::to_writer_pretty(&mut *out, shown)?;
        writeln!(out)?;
        return Ok(());
    }
    let store = open_private(settings).await?;
    let created = insert_residents(&store, &residents).await?;
    store.close().await;
    writeln!(
        out,
        "created {created} of {} residents (seed {}); {} already existed",
        residents.len(),
        args.seed,
        residents.len() - created
    )?;
    Ok(())
}

/// Opens (and migrates) the store after making the data folder and database private, as the
/// server does at start: a command run before the first start must not leave them readable.
async fn open_private(settings: &Settings) -> anyhow::Result<Store> {
    crate::data_dir::make_private(&settings.server.data_dir, &settings.server.database_url())?;
    Ok(Store::open_and_migrate(&settings.server.database_url()).await?)
}

/// Applies pending migrations and says how many.
pub async fn migrate(settings: &Settings, out: &mut impl Write) -> anyhow::Result<()> {
    crate::data_dir::make_private(&settings.server.data_dir, &settings.server.database_url())?;
    let store = Store::open(&settings.server.database_url()).await?;
    let applied = store.migrate().await?;
    store.close().await;
    writeln!(
        out,
        "applied {applied} migration(s) to {}",
        crate::store::redact_url(&settings.server.database_url())
    )?;
    Ok(())
}

/// Creates an account with the password read from `password_input`'s first line.
pub async fn admin_create(
    settings: &Settings,
    args: &AdminCreateArgs,
    password_input: &mut impl std::io::BufRead,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let role: Role = args.role.parse().map_err(anyhow::Error::msg)?;
    let mut password = String::new();
    password_input
        .read_line(&mut password)
        .context("reading the password from standard input")?;
    let password = password.trim_end_matches(['\n', '\r']).to_string();
    let store = open_private(settings).await?;
    let audit = AuditEntry::system("admin.account_create", "cli");
    let created = create_password_account(&store, &args.username, password, role, audit).await;
    store.close().await;
    // The API's wording and code, as `POST /admin/accounts` would answer.
    let account = created.map_err(|e| {
        let e = ApiError::from(e);
        anyhow::anyhow!("{} ({})", e.message, e.code)
    })?;
    writeln!(
        out,
        "created account {} ({}) with role {role}",
        account.id, account.username
    )?;
    Ok(())
}

/// Verifies the ledger and prints the report; returns whether it is clean.
pub async fn ledger_verify(
    settings: &Settings,
    args: &LedgerVerifyArgs,
    out: &mut impl Write,
) -> anyhow::Result<bool> {
    // Open without migrating: verify must not change the database it checks. A database
    // without the ledger tables fails here with a clear error.
    let store = Store::open(&settings.server.database_url()).await?;
    let report = store.verify_ledger().await;
    store.close().await;
    let report = report.context("reading the ledger")?;
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &report)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "ledger: {} transfers, {} accounts; entries sum to {}, balances sum to {}",
            report.transfers,
            report.accounts,
            report.entries_sum_micros,
            report.balances_sum_micros
        )?;
        for problem in &report.problems {
            writeln!(out, "PROBLEM: {problem}")?;
        }
        writeln!(
            out,
            "{}",
            if report.is_clean() {
                "ledger verify: clean"
            } else {
                "ledger verify: FAILED"
            }
        )?;
    }
    Ok(report.is_clean())
}
