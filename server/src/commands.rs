//! What `village populate` and `village migrate` do (`serve` is [`crate::startup`]).

use std::io::Write;

use anyhow::Context;

use crate::cli::PopulateArgs;
use crate::config::Settings;
use crate::population::{PopulationSpec, generate};
use crate::startup::insert_residents;
use crate::store::Store;
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
    let store = Store::open_and_migrate(&settings.server.database_url()).await?;
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

/// Applies pending migrations and says how many.
pub async fn migrate(settings: &Settings, out: &mut impl Write) -> anyhow::Result<()> {
    let store = Store::open(&settings.server.database_url()).await?;
    let applied = store.migrate().await?;
    store.close().await;
    writeln!(
        out,
        "applied {applied} migration(s) to {}",
        settings.server.database_url()
    )?;
    Ok(())
}
