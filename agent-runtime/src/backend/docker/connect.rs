//! Reaching a node's engine: a unix socket (the local engine, or one forwarded over SSH),
//! `tcp://` with mutual TLS (the engine's `--tlsverify`: the engine proves itself with a
//! certificate the village's CA signed, and the launcher with its client certificate), or
//! plain `tcp://` on a private network. The API version is negotiated right after.

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
        let backend = DockerBackend {
            node: node.to_string(),
            docker: docker.map_err(|error| unreachable(error.to_string()))?,
            call_timeout,
        };
        let negotiated = backend
            .call_raw(
                "negotiate the API version",
                backend.docker.clone().negotiate_version(),
            )
            .await?
            .map_err(|error| unreachable(error.to_string()))?;
        Ok(DockerBackend {
            docker: negotiated,
            ..backend
        })
    }
}
