//! Reaching a node's engine: a unix socket (the local engine, or one forwarded over SSH),
//! `tcp://` with mutual TLS (the engine's `--tlsverify`: the engine proves itself with a
//! certificate the village's CA signed, and the launcher with its client certificate), or
//! plain `tcp://` on a private network. The API version is negotiated right after.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bollard::Docker;

use super::DockerBackend;
use crate::backend::{BackendError, EngineTls};

impl DockerBackend {
    /// Connects to `endpoint` (`unix:///path/docker.sock`, or `tcp://host:port`) without
    /// TLS and negotiates the API version. Fails when the engine does not answer within
    /// `call_timeout`.
    pub async fn connect(
        node: &str,
        endpoint: &str,
        call_timeout: Duration,
    ) -> Result<DockerBackend, BackendError> {
        DockerBackend::connect_with(node, endpoint, None, call_timeout).await
    }

    /// [`connect`](Self::connect), over mutual TLS when `tls` is given (then `endpoint` is
    /// `tcp://host:port`, the engine started with `--tlsverify`).
    pub async fn connect_with(
        node: &str,
        endpoint: &str,
        tls: Option<&EngineTls>,
        call_timeout: Duration,
    ) -> Result<DockerBackend, BackendError> {
        let backend = DockerBackend::client(node, endpoint, tls, call_timeout)?;
        backend.negotiate().await?;
        Ok(backend)
    }

    /// [`connect_with`](Self::connect_with) for a launcher that must start while a node is
    /// away: an endpoint or TLS files that cannot be used still fail, but an engine that does
    /// not answer gives a backend that agrees its version once it does (it counts as
    /// unreachable until then).
    pub async fn connect_or_defer(
        node: &str,
        endpoint: &str,
        tls: Option<&EngineTls>,
        call_timeout: Duration,
    ) -> Result<DockerBackend, BackendError> {
        let backend = DockerBackend::client(node, endpoint, tls, call_timeout)?;
        if let Err(error) = backend.negotiate().await {
            tracing::warn!(%node, %error, "the node's engine does not answer; it is asked again every pass");
        }
        Ok(backend)
    }

    /// A client for `endpoint`, not yet in touch with the engine.
    fn client(
        node: &str,
        endpoint: &str,
        tls: Option<&EngineTls>,
        call_timeout: Duration,
    ) -> Result<DockerBackend, BackendError> {
        let unreachable = |reason: String| BackendError::Unreachable {
            node: node.to_string(),
            reason,
        };
        // bollard's own timeout, in whole seconds, backs up ours.
        let seconds = call_timeout.as_secs().max(1);
        let tcp = endpoint.starts_with("tcp://") || endpoint.starts_with("http://");
        let docker = match (endpoint.strip_prefix("unix://"), tls) {
            (Some(path), None) => {
                Docker::connect_with_unix(path, seconds, bollard::API_DEFAULT_VERSION)
            }
            (None, None) if tcp => {
                Docker::connect_with_http(endpoint, seconds, bollard::API_DEFAULT_VERSION)
            }
            (None, Some(tls)) if endpoint.starts_with("tcp://") => Docker::connect_with_ssl(
                endpoint,
                &tls.key,
                &tls.cert,
                &tls.ca,
                seconds,
                bollard::API_DEFAULT_VERSION,
            ),
            (_, Some(_)) => {
                return Err(unreachable(format!(
                    "endpoint {endpoint:?}: TLS needs tcp://host:port"
                )));
            }
            _ => {
                return Err(unreachable(format!(
                    "endpoint {endpoint:?} is neither unix:///path nor tcp://host:port"
                )));
            }
        };
        Ok(DockerBackend {
            node: node.to_string(),
            docker: docker.map_err(|error| unreachable(error.to_string()))?,
            call_timeout,
            negotiated: Arc::new(AtomicBool::new(false)),
        })
    }

    /// Agrees the API version with the engine, once (bollard 0.21 would otherwise speak an
    /// API newer than Debian's 20.10 engine); later calls do nothing.
    pub(super) async fn negotiate(&self) -> Result<(), BackendError> {
        if self.negotiated.load(Ordering::Acquire) {
            return Ok(());
        }
        self.call_raw(
            "negotiate the API version",
            self.docker.clone().negotiate_version(),
        )
        .await?
        .map_err(|error| BackendError::Unreachable {
            node: self.node.clone(),
            reason: error.to_string(),
        })?;
        // The version lives in the client, shared by every clone of it.
        self.negotiated.store(true, Ordering::Release);
        Ok(())
    }
}
