//! `village-runtime`: the launcher daemon. Reads its settings, connects to every node's
//! container engine, signs in to the server as its runtime account, serves its metrics, and
//! reconciles agent containers until SIGTERM or Ctrl-C (the containers keep running).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use runtime::backend::docker::DockerBackend;
use runtime::image_base::ImageBase;
use runtime::launcher::agent_image::{AGENT_PATH, agent_recipe};
use runtime::launcher::daemon::Daemon;
use runtime::launcher::egress_setup::start_egress;
use runtime::launcher::metrics::RuntimeMetrics;
use runtime::launcher::reports::Reporter;
use runtime::launcher::server_link::{LinkConfig, ServerLink};
use runtime::launcher::server_watch::poll_wait;
use runtime::launcher::settings::RuntimeSettings;
use runtime::launcher::{init_logging, metrics_router, wait_for_signal};
use runtime::reconcile::{Launch, Reconciler};
use tokio_util::sync::CancellationToken;

/// The AI Village agent runtime: runs every agent in its own hardened container.
#[derive(Parser)]
#[command(version)]
struct Cli {
    /// A TOML settings file (see agent-runtime/README.md); `VILLAGE_RUNTIME__*` variables
    /// override it.
    #[arg(long, env = "VILLAGE_RUNTIME_CONFIG")]
    config: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    init_logging();
    let cli = Cli::parse();
    let settings = RuntimeSettings::load(cli.config.as_deref())?;
    let base = match settings.image.base_archive.as_str() {
        "" => None,
        path => {
            tracing::info!(archive = path, "reading the agent image's base archive");
            Some(ImageBase::open(std::path::Path::new(path))?)
        }
    };
    let recipe = agent_recipe(
        &settings.image.repository,
        &settings.image.agent_binary,
        base,
    )?;
    let link = Arc::new(ServerLink::new(LinkConfig {
        url: settings.server.url.clone(),
        username: settings.server.username.clone(),
        password: settings.password()?,
        timeout: Duration::from_millis(settings.server.timeout_ms),
    })?);
    let mut nodes = Vec::new();
    for node in &settings.nodes {
        // A node away at start is asked again every pass: the others' agents go on.
        let backend = DockerBackend::connect_or_defer(
            &node.name,
            &node.endpoint,
            node.tls.as_ref(),
            settings.call_timeout(),
        )
        .await
        .with_context(|| format!("connecting to node {}", node.name))?;
        let tls = node.tls.is_some();
        tracing::info!(node = %node.name, endpoint = %node.endpoint, tls, "node configured");
        if !tls && node.endpoint.starts_with("tcp://") {
            tracing::warn!(
                node = %node.name,
                "plain tcp:// to an engine: whoever reaches that port is root on the node; keep it on a private network or use [nodes.tls]"
            );
        }
        nodes.push((backend, node.capacity()));
    }
    let shutdown = CancellationToken::new();
    let backends: Vec<DockerBackend> = nodes.iter().map(|(backend, _)| backend.clone()).collect();
    let metrics = Arc::new(RuntimeMetrics::new());
    let egress = start_egress(
        &settings.egress,
        &backends,
        metrics.egress.clone(),
        shutdown.clone(),
    )
    .await?;
    let launch = Launch {
        image: recipe.tag(),
        command: recipe.command.clone(),
        env: [
            (
                "VILLAGE_SERVER_URL".to_string(),
                settings.launch.server_url.clone(),
            ),
            (
                "VILLAGE_STEP_MS".to_string(),
                settings.launch.step_ms.to_string(),
            ),
        ]
        .into_iter()
        .collect(),
        network: settings.network(),
        oci_runtime: (!settings.launch.oci_runtime.is_empty())
            .then(|| settings.launch.oci_runtime.clone()),
        tier_runtimes: settings.launch.tier_runtimes.clone(),
        api_socket_dir: (!settings.launch.api_socket_dir.is_empty())
            .then(|| settings.launch.api_socket_dir.clone()),
        egress,
    };
    let image_nodes = nodes.iter().map(|(backend, _)| backend.clone()).collect();
    let listener = tokio::net::TcpListener::bind(settings.metrics.bind)
        .await
        .with_context(|| format!("binding the metrics listener {}", settings.metrics.bind))?;
    tracing::info!(addr = %listener.local_addr()?, "serving metrics");
    let rendered = metrics.clone();
    let metrics_server = axum::serve(listener, metrics_router(move || rendered.render()))
        .with_graceful_shutdown(shutdown.clone().cancelled_owned());
    let metrics_task = tokio::spawn(async move { metrics_server.await });
    // The agent image's own binary counts the workspaces (ADR 0013).
    let reporter = settings
        .disk_check(recipe.tag(), AGENT_PATH.to_string())
        .map_or_else(Reporter::default, Reporter::measuring_disk);
    let daemon = Daemon {
        reconciler: Reconciler::new(nodes, launch).with_tokens(link.clone()),
        link,
        metrics,
        image_nodes,
        recipe,
        interval: settings.interval(),
        report_every: settings.reconcile.report_every_passes,
        reporter,
        server_wait: Some(poll_wait(Duration::from_millis(settings.server.timeout_ms))),
        egress: settings.egress.enabled.then(|| settings.egress.clone()),
    };
    let stop = shutdown.clone();
    tokio::spawn(async move {
        wait_for_signal().await;
        stop.cancel();
    });
    daemon.run(shutdown).await;
    metrics_task.await??;
    Ok(())
}
