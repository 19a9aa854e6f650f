//! The API relay on a node that is not the server's: agent containers there have no network
//! and reach the server only through the API socket mounted from their host, so this serves
//! that socket and passes each connection's bytes, untouched, to the server's agent door on
//! TCP (`server.agent_bind`: the agent routes only, where the containers' tokens work).
//! It reads nothing and adds nothing: an agent still proves itself with its own token, and the
//! server answers it as it would on its own socket. Bounded: connections at once (more wait
//! for a free slot), the time to reach the server and each connection's lifetime; an
//! unreachable server closes the agent's connection, which the agent retries.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use shared::socket_file::bind_replacing_stale;
use tokio::net::{TcpStream, UnixListener};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

/// How the relay runs.
#[derive(Debug, Clone)]
pub struct RelaySettings {
    /// The server's agent door (`server.agent_bind`) as this node reaches it, `host:port`.
    pub upstream: String,
    /// Connections relayed at once; more wait for a free slot.
    pub connections_max: usize,
    /// Longest wait to reach the server.
    pub connect_timeout: Duration,
    /// Longest a relayed connection lives: an agent's request takes seconds (an LLM call up
    /// to 90 s), so one held open longer only keeps a slot from the node's other agents.
    pub connection_time_max: Duration,
}

/// The pause after a failed accept (out of file descriptors, say), so the loop never spins.
const ACCEPT_RETRY_PAUSE: Duration = Duration::from_millis(100);

/// What the relay counts.
#[derive(Debug, Clone, Default)]
pub struct RelayCounters {
    /// Connections passed to the server.
    pub relayed: Counter,
    /// Connections closed because the server could not be reached.
    pub unreachable: Counter,
    /// Connections closed at the end of their lifetime.
    pub timed_out: Counter,
}

/// A bound relay socket; the file is removed when serving ends.
pub struct RelaySocket {
    listener: UnixListener,
    path: PathBuf,
}

impl RelaySocket {
    /// Binds `path` (making its folder), replacing a stale socket a crashed relay left but
    /// never another kind of file; any local user may connect, as to the server's own socket.
    pub fn bind(path: &Path) -> io::Result<RelaySocket> {
        let listener = bind_replacing_stale(path, 0o666)?;
        Ok(RelaySocket {
            listener: UnixListener::from_std(listener)?,
            path: path.to_path_buf(),
        })
    }

    /// Relays until `stop`; open connections end with the process.
    pub async fn serve(
        self,
        settings: RelaySettings,
        counters: RelayCounters,
        stop: CancellationToken,
    ) {
        let RelaySocket { listener, path } = self;
        tracing::info!(path = %path.display(), upstream = %settings.upstream, "relaying the API socket");
        let settings = Arc::new(settings);
        let slots = Arc::new(Semaphore::new(settings.connections_max.max(1)));
        loop {
            let slot = tokio::select! {
                slot = slots.clone().acquire_owned() => match slot {
                    Ok(slot) => slot,
                    Err(_) => break,
                },
                () = stop.cancelled() => break,
            };
            let mut agent = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(error) => {
                        tracing::warn!(%error, "relay: accept failed");
                        tokio::time::sleep(ACCEPT_RETRY_PAUSE).await;
                        continue;
                    }
                },
                () = stop.cancelled() => break,
            };
            let (settings, counters) = (settings.clone(), counters.clone());
            tokio::spawn(async move {
                let _slot = slot;
                let connected = tokio::time::timeout(
                    settings.connect_timeout,
                    TcpStream::connect(&settings.upstream),
                )
                .await;
                let mut server = match connected {
                    Ok(Ok(server)) => server,
                    Ok(Err(error)) => {
                        counters.unreachable.inc();
                        tracing::warn!(%error, upstream = %settings.upstream, "relay: the server cannot be reached");
                        return;
                    }
                    Err(_) => {
                        counters.unreachable.inc();
                        tracing::warn!(upstream = %settings.upstream, "relay: the server did not answer in time");
                        return;
                    }
                };
                // Requests are small and interactive: no waiting to fill packets.
                let _ = server.set_nodelay(true);
                counters.relayed.inc();
                let relayed = tokio::time::timeout(
                    settings.connection_time_max,
                    tokio::io::copy_bidirectional(&mut agent, &mut server),
                )
                .await;
                match relayed {
                    Ok(Ok(_)) => {}
                    Ok(Err(error)) => {
                        tracing::debug!(%error, "relay: a connection ended with an error");
                    }
                    Err(_) => {
                        counters.timed_out.inc();
                        tracing::warn!(
                            limit_s = settings.connection_time_max.as_secs(),
                            "relay: a connection outlived its time and was closed"
                        );
                    }
                }
            });
        }
        if let Err(error) = std::fs::remove_file(&path) {
            tracing::warn!(%error, path = %path.display(), "relay: could not remove the socket");
        }
    }
}
