//! The egress network on this node's engine: an internal bridge network (its containers reach
//! each other and the host's address on it, its gateway, and nothing beyond), labelled as the
//! village's, made once and found again after that. The gateway is where the runtime's egress
//! proxy listens.

use std::collections::HashMap;

use bollard::models::NetworkCreateRequest;

use super::DockerBackend;
use super::convert::{backend_error, status_of};
use crate::backend::{BackendError, InternalNetwork};
use crate::spec::{APP, LABEL_APP};

/// The bridge network option that names the host's interface.
const BRIDGE_NAME_OPTION: &str = "com.docker.network.bridge.name";

impl DockerBackend {
    /// Makes sure the internal network `name` exists; returns its gateway and bridge.
    pub(super) async fn internal_network(
        &self,
        name: &str,
    ) -> Result<InternalNetwork, BackendError> {
        let found = self
            .call_raw("inspect a network", self.docker.inspect_network(name, None))
            .await?;
        let network = match found {
            Ok(network) => network,
            Err(error) if status_of(&error) == Some(404) => {
                let request = NetworkCreateRequest {
                    name: name.to_string(),
                    driver: Some("bridge".into()),
                    internal: Some(true),
                    labels: Some(HashMap::from([(LABEL_APP.to_string(), APP.to_string())])),
                    ..Default::default()
                };
                self.call(
                    "create a network",
                    name,
                    self.docker.create_network(request),
                )
                .await?;
                tracing::info!(node = %self.node, network = name, "egress network made");
                self.call(
                    "inspect a network",
                    name,
                    self.docker.inspect_network(name, None),
                )
                .await?
            }
            Err(error) => return Err(backend_error(&self.node, "inspect a network", name, error)),
        };
        let refused = |message: String| BackendError::Refused {
            node: self.node.clone(),
            operation: "use the egress network",
            message,
        };
        if network.internal != Some(true) {
            return Err(refused(format!(
                "{name} exists but is not internal: its containers could bypass the proxy"
            )));
        }
        // The engine names a bridge `br-` and the network id's first 12 characters unless
        // the network was made with a name of its own.
        let bridge = network
            .options
            .as_ref()
            .and_then(|options| options.get(BRIDGE_NAME_OPTION).cloned())
            .or_else(|| {
                network
                    .id
                    .as_deref()
                    .and_then(|id| id.get(..12))
                    .map(|short| format!("br-{short}"))
            })
            .ok_or_else(|| refused(format!("{name} has no id")))?;
        let gateway = network
            .ipam
            .and_then(|ipam| ipam.config)
            .into_iter()
            .flatten()
            .find_map(|config| config.gateway)
            .filter(|gateway| !gateway.is_empty())
            .ok_or_else(|| refused(format!("{name} has no gateway address")))?;
        Ok(InternalNetwork { gateway, bridge })
    }
}
