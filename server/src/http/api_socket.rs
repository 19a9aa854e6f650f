//! The agent door on a unix socket (`server.api_socket`): how agents in containers with no
//! network reach the server. The runtime mounts the socket's folder into each container; the
//! socket serves the agent door's router (`crate::app_router::agent_door_router`): the routes agents use,
//! agent tokens only, so nothing arriving here can sign up, sign in or act as a person, staff
//! or the runtime. Callers on it have no IP address; no per-address limit applies here, since
//! nothing anonymous is served.

use std::path::{Path, PathBuf};

use axum::Router;
use shared::socket_file::bind_replacing_stale;
use tokio::net::UnixListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// A bound API socket; its file is removed when this is dropped after serving.
pub struct ApiSocket {
    listener: UnixListener,
    path: PathBuf,
}

impl ApiSocket {
    /// Binds `path`, replacing a stale socket a crashed server left (never another kind of
    /// file), and lets any local user connect: the TCP listener is no more private.
    pub fn bind(path: &Path) -> std::io::Result<ApiSocket> {
        let listener = bind_replacing_stale(path, 0o666)?;
        Ok(ApiSocket {
            listener: UnixListener::from_std(listener)?,
            path: path.to_path_buf(),
        })
    }

    /// Serves `router` until `shutdown`, then finishes open requests; removes the socket file
    /// when done.
    pub fn serve(self, router: Router, shutdown: CancellationToken) -> JoinHandle<()> {
        tokio::spawn(async move {
            let ApiSocket { listener, path } = self;
            tracing::info!(path = %path.display(), "serving the API on a unix socket");
            let served = axum::serve(listener, router.into_make_service())
                .with_graceful_shutdown(shutdown.cancelled_owned())
                .await;
            if let Err(error) = served {
                tracing::warn!(%error, "the API socket stopped");
            }
            if let Err(error) = std::fs::remove_file(&path) {
                tracing::warn!(%error, path = %path.display(), "could not remove the API socket");
            }
        })
    }
}
