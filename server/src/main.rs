//! The `village` binary: parses the command line and runs a subcommand.

use clap::Parser;
use village_server::cli::{AdminCommand, Cli, Command, LedgerCommand};
use village_server::config::{Overrides, Settings};
use village_server::startup::Application;
use village_server::{commands, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    telemetry::init(cli.log_format);
    let config = cli.config.as_deref();
    match &cli.command {
        Command::Serve(args) => {
            let settings = Settings::load(config, &args.overrides())?;
            let app = Application::build(settings).await?;
            app.run_until_stopped(shutdown_signal()).await
        }
        Command::Populate(args) => {
            let settings = Settings::load(config, &args.store.overrides())?;
            commands::populate(&settings, args, &mut std::io::stdout().lock()).await
        }
        Command::Migrate(args) => {
            let overrides: Overrides = args.overrides();
            let settings = Settings::load(config, &overrides)?;
            commands::migrate(&settings, &mut std::io::stdout().lock()).await
        }
        Command::Admin(AdminCommand::Create(args)) => {
            let settings = Settings::load(config, &args.store.overrides())?;
            commands::admin_create(
                &settings,
                args,
                &mut std::io::stdin().lock(),
                &mut std::io::stdout().lock(),
            )
            .await
        }
        Command::Ledger(LedgerCommand::Verify(args)) => {
            let settings = Settings::load(config, &args.store.overrides())?;
            let clean =
                commands::ledger_verify(&settings, args, &mut std::io::stdout().lock()).await?;
            if !clean {
                std::process::exit(1);
            }
            Ok(())
        }
    }
}

/// Completes on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = ctrl_c => tracing::info!("SIGINT received"),
        () = terminate => tracing::info!("SIGTERM received"),
    }
}
