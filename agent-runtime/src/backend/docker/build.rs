//! Builds an agent image on this node's engine when the node lacks its tag (no registry: each
//! node builds from the same recipe, and the content-hash tag says the results are the same).

use std::time::Duration;

use bollard::query_parameters::BuildImageOptionsBuilder;
use futures_util::StreamExt;

use super::DockerBackend;
use super::convert::{backend_error, status_of};
use crate::backend::BackendError;
use crate::image::ImageRecipe;

/// The longest an image build may take, all steps together.
pub const IMAGE_BUILD_TIME_MAX: Duration = Duration::from_secs(600);

impl DockerBackend {
    /// Makes sure the recipe's image is on this node; returns its tag. Logs the engine's
    /// progress lines while building.
    pub(super) async fn ensure_image_built(
        &self,
        recipe: &ImageRecipe,
    ) -> Result<String, BackendError> {
        let tag = recipe.tag();
        let present = self
            .call_raw("inspect an image", self.docker.inspect_image(&tag))
            .await?;
        match present {
            Ok(_) => return Ok(tag),
            Err(error) if status_of(&error) == Some(404) => {}
            Err(error) => return Err(backend_error(&self.node, "inspect an image", &tag, error)),
        }
        let context = recipe.context_tar()?;
        tracing::info!(node = %self.node, %tag, bytes = context.len(), "building an agent image");
        let options = BuildImageOptionsBuilder::default()
            .t(&tag)
            .rm(true)
            .forcerm(true)
            .build();
        let build = async {
            let mut progress =
                self.docker
                    .build_image(options, None, Some(bollard::body_full(context.into())));
            while let Some(step) = progress.next().await {
                let step =
                    step.map_err(|error| backend_error(&self.node, "build an image", &tag, error))?;
                if let Some(detail) = step.error_detail {
                    return Err(BackendError::Refused {
                        node: self.node.clone(),
                        operation: "build an image",
                        message: detail.message.unwrap_or_default(),
                    });
                }
                if let Some(line) = step
                    .stream
                    .as_deref()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                {
                    tracing::info!(node = %self.node, %tag, "{line}");
                }
            }
            Ok(())
        };
        tokio::time::timeout(IMAGE_BUILD_TIME_MAX, build)
            .await
            .map_err(|_| BackendError::Timeout {
                node: self.node.clone(),
                operation: "build an image",
                limit: IMAGE_BUILD_TIME_MAX,
            })??;
        Ok(tag)
    }
}
