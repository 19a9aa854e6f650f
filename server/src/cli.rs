//! The `village` command line: `serve`, `populate`, `migrate`, `admin create`, `ledger verify`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::Overrides;
use crate::telemetry::LogFormat;

/// AI Village: the authoritative world server and its tools.
#[derive(Debug, Parser)]
#[command(name = "village", version, about)]
pub struct Cli {
    /// Log line format.
    #[arg(long, value_enum, default_value_t = LogFormat::Pretty, global = true)]
    pub log_format: LogFormat,
    /// A TOML settings file (see docs/OPERATIONS.md); `VILLAGE__SECTION__KEY` variables and
    /// flags override it.
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the world server until SIGINT or SIGTERM.
    Serve(ServeArgs),
    /// Generate residents from a spec and a seed; write them to the store, or preview them.
    Populate(PopulateArgs),
    /// Apply pending database migrations and exit.
    Migrate(StoreArgs),
    /// Manage accounts from the server's machine (the first admin, before any exists).
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Check the aiDollar ledger.
    #[command(subcommand)]
    Ledger(LedgerCommand),
}

#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Recompute every balance from the entries and check the ledger against itself; exits
    /// with status 1 and a report when anything is off.
    Verify(LedgerVerifyArgs),
}

#[derive(Debug, Args)]
pub struct LedgerVerifyArgs {
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an account; the password is read from standard input, never from a flag.
    Create(AdminCreateArgs),
}

#[derive(Debug, Args)]
pub struct AdminCreateArgs {
    #[arg(long)]
    pub username: String,
    /// Read the password from standard input (its first line). Required: there is no default
    /// password and no password flag.
    #[arg(long, required = true)]
    pub password_stdin: bool,
    /// The account's role: admin, moderator, human or runtime.
    #[arg(long, default_value = "admin")]
    pub role: String,
    #[command(flatten)]
    pub store: StoreArgs,
}

/// Where the data lives.
#[derive(Debug, Args, Clone, Default)]
pub struct StoreArgs {
    /// Folder for the SQLite database and the generated JWT key [default: data].
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Database URL: sqlite://path or postgres://user@host/db [default: <data-dir>/village.db].
    #[arg(long)]
    pub database_url: Option<String>,
    /// Folder with maps/ and tilesets/ [default: assets].
    #[arg(long)]
    pub assets_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long)]
    pub bind: Option<SocketAddr>,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Generated demo residents to create (if the village is empty) and walk around.
    #[arg(long)]
    pub demo_agents: Option<usize>,
    /// Seed of the demo population.
    #[arg(long)]
    pub demo_seed: Option<u64>,
    /// Folder of the built web viewer, served at / [default: client/dist].
    #[arg(long)]
    pub viewer_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct PopulateArgs {
    /// How many residents to generate.
    #[arg(long)]
    pub count: usize,
    /// The seed: the same spec and seed always give the same residents.
    #[arg(long)]
    pub seed: u64,
    /// Print the first K residents as JSON and write nothing.
    #[arg(long, value_name = "K")]
    pub preview: Option<usize>,
    /// A population spec TOML file [default: the built-in assets/population/spec.toml].
    #[arg(long)]
    pub spec: Option<PathBuf>,
    #[command(flatten)]
    pub store: StoreArgs,
}

impl StoreArgs {
    pub fn overrides(&self) -> Overrides {
        Overrides {
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone(),
            assets_dir: self.assets_dir.clone(),
            ..Overrides::default()
        }
    }
}

impl ServeArgs {
    pub fn overrides(&self) -> Overrides {
        Overrides {
            bind: self.bind,
            demo_agents: self.demo_agents,
            demo_seed: self.demo_seed,
            viewer_dir: self.viewer_dir.clone(),
            ..self.store.overrides()
        }
    }
}
