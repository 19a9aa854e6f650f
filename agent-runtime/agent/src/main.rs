//! `village-agent`: the process inside each agent's container. Reads its settings from the
//! environment, logs to stderr, and runs the agent's loop until SIGTERM (exit 0, after the
//! step under way), a refusal by the server (exit 77: token revoked or agent held), or a bad
//! setting (exit 78). Everything else lives in the `agent` library.
//!
//! `village-agent measure-disk SECONDS PATH...` instead measures folders for the runtime's
//! disk meter container (`agent::disk_meter`) and exits.

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

use agent::client::ApiClient;
use agent::config::AGENT_TOKEN_PATH;
use agent::config::{AgentConfig, BrainKind};
use agent::disk_meter::{MEASURE_DISK_ARG, run_meter};
use agent::llm_brain::LlmBrain;
use agent::memory::Memory;
use agent::run_loop::{self, LoopEnd, LoopSettings};
use agent::scripted::ScriptedBrain;
use agent::scripted_operator::ScriptedOperator;
use agent::task_desk::TaskDesk;
use agent::tools::Toolbox;
use anyhow::Context;
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;

/// The exit code for settings that cannot be used: `EX_CONFIG` of sysexits.h.
const EXIT_CONFIG: u8 = 78;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some(MEASURE_DISK_ARG) {
        return match run_meter(&args[2..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("{error}");
                ExitCode::from(EXIT_CONFIG)
            }
        };
    }
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        // Colours only for a person at a terminal, not in container logs.
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    // Not dumpable: a command the agent runs as root (without CAP_SYS_PTRACE, which the
    // container drops) cannot read this process's memory, and so not its token.
    if let Err(error) = nix::sys::prctl::set_dumpable(false) {
        tracing::warn!(%error, "could not make the agent process non-dumpable");
    }
    let config = match AgentConfig::from_env() {
        Ok(config) => config,
        Err(error) => {
            tracing::error!(%error, "bad settings");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    // The runtime writes a fresh token file before every start; once read it only helps a
    // command that would print it, so it goes.
    if config.token_file.as_deref() == Some(Path::new(AGENT_TOKEN_PATH))
        && let Err(error) = std::fs::remove_file(AGENT_TOKEN_PATH)
    {
        tracing::warn!(%error, path = AGENT_TOKEN_PATH, "could not remove the token file");
    }
    // One agent makes a few requests at a time: a single-threaded runtime is enough.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            tracing::error!(%error, "cannot start the async runtime");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(config)) {
        Ok(LoopEnd::Denied {
            status,
            code,
            message,
        }) => {
            tracing::error!(
                status, %code, %message,
                "the server refused this agent (token revoked or replaced, or agent held); exiting"
            );
            ExitCode::from(run_loop::EXIT_DENIED)
        }
        Ok(end) => {
            tracing::info!(?end, "agent loop ended");
            ExitCode::SUCCESS
        }
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "agent failed");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: AgentConfig) -> anyhow::Result<LoopEnd> {
    // Listening before the loop starts: a SIGTERM from then on stops it cleanly.
    let term = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
    let stop = CancellationToken::new();
    tokio::spawn(stop_on_signal(term, stop.clone()));
    let client = ApiClient::new(config.server.clone(), config.agent_id, config.token.clone());
    let memory = Memory::new(&config.workspace);
    let tools = Toolbox::new(&config.workspace).with_egress_proxy(config.egress_proxy.clone());
    let settings = LoopSettings {
        step: config.step,
        max_steps: None,
        tools: tools.clone(),
    };
    tracing::info!(
        agent = %config.agent_id, server = %config.server, brain = ?config.brain,
        "village-agent starting"
    );
    // The loop is generic over its decider: one arm per brain, no boxing.
    let end = match config.brain {
        BrainKind::Scripted => {
            let desk = TaskDesk::open(config.agent_id, tools.workspace());
            let mut brain = ScriptedOperator::new(ScriptedBrain::new(config.agent_id), desk);
            run_loop::run(&client, &mut brain, &memory, &settings, &stop).await
        }
        BrainKind::Llm => {
            let preferred = config
                .llm_model
                .as_deref()
                .unwrap_or("the best its tier allows");
            tracing::info!(
                model = preferred,
                "deciding through the server's LLM gateway"
            );
            let desk = TaskDesk::open(config.agent_id, tools.workspace());
            let mut brain = LlmBrain::new(config.agent_id)
                .with_tasks(desk)
                .with_tools(tools);
            if let Some(model) = &config.llm_model {
                brain = brain.with_model(model.clone());
            }
            run_loop::run(&client, &mut brain, &memory, &settings, &stop).await
        }
    };
    end.context("running the agent loop")
}

/// Cancels `stop` on SIGTERM (what `docker stop` sends) or Ctrl-C.
async fn stop_on_signal(mut term: Signal, stop: CancellationToken) {
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM: finishing the step under way"),
        _ = tokio::signal::ctrl_c() => tracing::info!("Ctrl-C: finishing the step under way"),
    }
    stop.cancel();
}
