//! `village-node`: runs on every node of the village but the launcher's own. It relays the
//! API socket that this node's agent containers use to the server, and serves this node's
//! egress proxy, until SIGTERM or Ctrl-C. The containers themselves are the launcher's.

use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use runtime::backend::docker::DockerBackend;
use runtime::launcher::egress_setup::serve_local_proxy;
use runtime::launcher::{init_logging, metrics_router, wait_for_signal};
use runtime::node::NodeMetrics;
use runtime::node::relay::{RelaySettings, RelaySocket};
use runtime::node::settings::NodeSettings;
use tokio_util::sync::CancellationToken;

/// The AI Village node service: the API relay and egress proxy of one node.
#[derive(Parser)]
#[command(version)]
struct Cli {
    /// A TOML settings file (see docs/DEPLOYMENT.md); `VILLAGE_NODE__*` variables override it.
    #[arg(long, env = "VILLAGE_NODE_CONFIG")]
    config: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    init_logging();
    let cli = Cli::parse();
    let settings = NodeSettings::load(cli.config.as_deref())?;
    let metrics = NodeMetrics::new();
    let stop = CancellationToken::new();
    let mut tasks = Vec::new();
    if !settings.relay.socket.as_os_str().is_empty() {
        let socket = RelaySocket::bind(&settings.relay.socket).with_context(|| {
            format!("binding the API socket {}", settings.relay.socket.display())
        })?;
        let relay = RelaySettings {
            upstream: settings.relay.server.clone(),
            connections_max: settings.relay.connections_max,
            connect_timeout: settings.connect_timeout(),
            connection_time_max: settings.connection_time_max(),
        };
        tasks.push(tokio::spawn(socket.serve(
            relay,
            metrics.relay.clone(),
            stop.clone(),
        )));
    }
    if settings.egress.enabled {
        // A key of its own would match no agent's credential: every request would get 407.
        anyhow::ensure!(
            settings.egress.key_file.is_file(),
            "egress.key_file {} is missing: copy the launcher's key file there (the same 32 bytes, mode 0600)",
            settings.egress.key_file.display()
        );
        let engine = DockerBackend::connect(
            &settings.node.name,
            &settings.node.endpoint,
            settings.call_timeout(),
        )
        .await
        .with_context(|| {
            format!(
                "connecting to this node's engine {}",
                settings.node.endpoint
            )
        })?;
        serve_local_proxy(
            &settings.egress,
            &engine,
            metrics.egress.clone(),
            stop.clone(),
        )
        .await?;
    }
    let listener = tokio::net::TcpListener::bind(settings.metrics.bind)
        .await
        .with_context(|| format!("binding the metrics listener {}", settings.metrics.bind))?;
    tracing::info!(node = %settings.node.name, addr = %listener.local_addr()?, "serving metrics");
    let rendered = metrics.clone();
    let metrics_server = axum::serve(listener, metrics_router(move || rendered.render()))
        .with_graceful_shutdown(stop.clone().cancelled_owned());
    let metrics_task = tokio::spawn(async move { metrics_server.await });
    wait_for_signal().await;
    stop.cancel();
    for task in tasks {
        task.await?;
    }
    metrics_task.await??;
    Ok(())
}
