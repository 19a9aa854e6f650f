//! [`ContainerBackend`] on a Docker engine, through bollard: the only module that imports it.
//!
//! One client per node, version negotiated after connecting (bollard 0.21 would otherwise
//! speak an API newer than Debian's 20.10 engine), and every call bounded by the node's
//! `call_timeout`. Image builds live in `build.rs`.

mod build;
mod connect;
mod convert;
mod disk;
mod host_config;
mod network;

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use bollard::Docker;
use bollard::errors::Error as DockerError;
use bollard::models::{ContainerCreateBody, VolumeCreateRequest};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, EventsOptionsBuilder, KillContainerOptionsBuilder,
    ListContainersOptionsBuilder, RemoveContainerOptionsBuilder, StatsOptionsBuilder,
    StopContainerOptionsBuilder, UploadToContainerOptionsBuilder,
};

use self::convert::{backend_error, details_from_inspect, info_from_summary, status_of};
use self::host_config::{hardened_host_config, limits_update};
use super::{
    BackendError, ContainerBackend, ContainerDetails, ContainerInfo, ContainerStats,
    InternalNetwork, RunState,
};
use crate::image::ImageRecipe;
use crate::spec::{APP, ContainerSpec, LABEL_APP, LABEL_NODE, Limits, WORKSPACE_PATH};

/// A Docker engine on one node.
#[derive(Debug, Clone)]
pub struct DockerBackend {
    node: String,
    docker: Docker,
    call_timeout: Duration,
    /// Whether the API version was agreed with the engine (shared by clones, as bollard's
    /// version is); an engine that did not answer at start is asked again at its next ping
    /// or listing.
    negotiated: Arc<AtomicBool>,
}

impl DockerBackend {
    /// Runs one engine call under the node's time limit, mapping its error.
    async fn call<T>(
        &self,
        operation: &'static str,
        subject: &str,
        future: impl Future<Output = Result<T, DockerError>>,
    ) -> Result<T, BackendError> {
        self.call_raw(operation, future)
            .await?
            .map_err(|error| backend_error(&self.node, operation, subject, error))
    }

    /// [`Self::call`] that hands back Docker's own error, for calls where some refusals mean
    /// success (starting a running container, removing a missing one).
    async fn call_raw<T>(
        &self,
        operation: &'static str,
        future: impl Future<Output = Result<T, DockerError>>,
    ) -> Result<Result<T, DockerError>, BackendError> {
        self.call_within(self.call_timeout, operation, future).await
    }

    /// [`Self::call_raw`] under `limit` instead of the node's call limit.
    async fn call_within<T>(
        &self,
        limit: Duration,
        operation: &'static str,
        future: impl Future<Output = Result<T, DockerError>>,
    ) -> Result<Result<T, DockerError>, BackendError> {
        tokio::time::timeout(limit, future)
            .await
            .map_err(|_| BackendError::Timeout {
                node: self.node.clone(),
                operation,
                limit,
            })
    }

    /// Docker's answer to an idempotent call: success, or the `already` status, which says the
    /// container is already where the call would put it (304 on start and stop, 409 on kill,
    /// 404 on remove).
    fn settled(
        &self,
        answer: Result<(), DockerError>,
        operation: &'static str,
        subject: &str,
        already: u16,
    ) -> Result<(), BackendError> {
        match answer {
            Err(error) if status_of(&error) != Some(already) => {
                Err(backend_error(&self.node, operation, subject, error))
            }
            _ => Ok(()),
        }
    }

    /// The state of a container that must exist.
    async fn state_of(&self, name: &str) -> Result<RunState, BackendError> {
        match self.inspect(name).await? {
            Some(details) => Ok(details.info.state),
            None => Err(BackendError::NotFound {
                node: self.node.clone(),
                name: name.to_string(),
            }),
        }
    }

    /// The workspace volume, labelled so a sweep can find it; creating an existing volume
    /// returns it unchanged.
    async fn ensure_workspace(&self, spec: &ContainerSpec) -> Result<(), BackendError> {
        let volume = crate::spec::workspace_volume(spec.agent);
        let labels: HashMap<_, _> = spec.labels().into_iter().collect();
        let request = VolumeCreateRequest {
            name: Some(volume.clone()),
            labels: Some(labels),
            ..Default::default()
        };
        self.call(
            "create the workspace volume",
            &volume,
            self.docker.create_volume(request),
        )
        .await
        .map(drop)
    }
}

impl ContainerBackend for DockerBackend {
    fn node(&self) -> &str {
        &self.node
    }

    async fn ping(&self) -> Result<(), BackendError> {
        self.negotiate().await?;
        self.call("ping", "", self.docker.ping()).await.map(drop)
    }

    async fn ensure_image(&self, recipe: &ImageRecipe) -> Result<String, BackendError> {
        self.ensure_image_built(recipe).await
    }

    async fn ensure_internal_network(&self, name: &str) -> Result<InternalNetwork, BackendError> {
        self.internal_network(name).await
    }

    async fn list(&self) -> Result<Vec<ContainerInfo>, BackendError> {
        // Every pass lists every node first: an engine that was away agrees its version here.
        self.negotiate().await?;
        let filters = HashMap::from([(
            "label".to_string(),
            vec![
                format!("{LABEL_APP}={APP}"),
                format!("{LABEL_NODE}={}", self.node),
            ],
        )]);
        let options = ListContainersOptionsBuilder::default()
            .all(true)
            .filters(&filters)
            .build();
        let summaries = self
            .call(
                "list containers",
                "",
                self.docker.list_containers(Some(options)),
            )
            .await?;
        Ok(summaries.into_iter().map(info_from_summary).collect())
    }

    async fn inspect(&self, name: &str) -> Result<Option<ContainerDetails>, BackendError> {
        let answer = self
            .call_raw(
                "inspect a container",
                self.docker.inspect_container(name, None),
            )
            .await?;
        match answer {
            Ok(inspect) => Ok(Some(details_from_inspect(inspect))),
            Err(error) if status_of(&error) == Some(404) => Ok(None),
            Err(error) => Err(backend_error(
                &self.node,
                "inspect a container",
                name,
                error,
            )),
        }
    }

    async fn create(&self, spec: &ContainerSpec) -> Result<String, BackendError> {
        spec.check()?;
        let name = spec.name();
        if let Some(existing) = self.inspect(&name).await? {
            return Ok(existing.info.id);
        }
        self.ensure_workspace(spec).await?;
        let body = ContainerCreateBody {
            image: Some(spec.image.clone()),
            cmd: (!spec.command.is_empty()).then(|| spec.command.clone()),
            env: Some(spec.env.iter().map(|(k, v)| format!("{k}={v}")).collect()),
            labels: Some(spec.labels().into_iter().collect()),
            working_dir: Some(WORKSPACE_PATH.to_string()),
            hostname: Some(format!("agent-{}", spec.agent.0)),
            host_config: Some(hardened_host_config(spec)),
            ..Default::default()
        };
        let options = CreateContainerOptionsBuilder::default().name(&name).build();
        let answer = self
            .call_raw(
                "create a container",
                self.docker.create_container(Some(options), body),
            )
            .await?;
        match answer {
            Ok(created) => Ok(created.id),
            // Made meanwhile by another call: the one that exists is the answer.
            Err(error) if status_of(&error) == Some(409) => match self.inspect(&name).await? {
                Some(existing) => Ok(existing.info.id),
                None => Err(backend_error(
                    &self.node,
                    "create a container",
                    &name,
                    error,
                )),
            },
            // The only thing a create can miss is its image.
            Err(error) => Err(backend_error(
                &self.node,
                "create a container",
                &spec.image,
                error,
            )),
        }
    }

    async fn start(&self, name: &str) -> Result<(), BackendError> {
        const OPERATION: &str = "start a container";
        let answer = self
            .call_raw(OPERATION, self.docker.start_container(name, None))
            .await?;
        self.settled(answer, OPERATION, name, 304)
    }

    async fn stop(&self, name: &str, grace: Duration) -> Result<(), BackendError> {
        let seconds = i32::try_from(grace.as_secs()).unwrap_or(i32::MAX);
        let options = StopContainerOptionsBuilder::default().t(seconds).build();
        // The engine waits up to `grace` before it kills: allow for that on top of the limit.
        let answer = self
            .call_within(
                grace + self.call_timeout,
                "stop a container",
                self.docker.stop_container(name, Some(options)),
            )
            .await?;
        self.settled(answer, "stop a container", name, 304)
    }

    async fn kill(&self, name: &str) -> Result<(), BackendError> {
        let options = KillContainerOptionsBuilder::default()
            .signal("SIGKILL")
            .build();
        let answer = self
            .call_raw(
                "kill a container",
                self.docker.kill_container(name, Some(options)),
            )
            .await?;
        // 409: it is not running, which is what a kill wants.
        self.settled(answer, "kill a container", name, 409)
    }

    async fn pause(&self, name: &str) -> Result<(), BackendError> {
        if self.state_of(name).await? == RunState::Paused {
            return Ok(());
        }
        self.call("pause a container", name, self.docker.pause_container(name))
            .await
    }

    async fn resume(&self, name: &str) -> Result<(), BackendError> {
        if self.state_of(name).await? != RunState::Paused {
            return Ok(());
        }
        self.call(
            "resume a container",
            name,
            self.docker.unpause_container(name),
        )
        .await
    }

    async fn update_limits(&self, name: &str, limits: &Limits) -> Result<(), BackendError> {
        limits.check()?;
        self.call(
            "update a container's limits",
            name,
            self.docker.update_container(name, limits_update(limits)),
        )
        .await
    }

    fn changes(&self) -> futures_util::stream::BoxStream<'static, Result<(), BackendError>> {
        use futures_util::StreamExt;
        let filters = HashMap::from([
            ("type".to_string(), vec!["container".to_string()]),
            (
                "label".to_string(),
                vec![
                    format!("{LABEL_APP}={APP}"),
                    format!("{LABEL_NODE}={}", self.node),
                ],
            ),
        ]);
        let options = EventsOptionsBuilder::default().filters(&filters).build();
        let node = self.node.clone();
        // An event stream is long-lived: no call timeout, it ends when the engine goes.
        self.docker
            .events(Some(options))
            .map(move |event| {
                event
                    .map(drop)
                    .map_err(|error| backend_error(&node, "follow container events", "", error))
            })
            .boxed()
    }

    async fn stats(&self, name: &str) -> Result<Option<ContainerStats>, BackendError> {
        use futures_util::StreamExt;
        let options = StatsOptionsBuilder::default()
            .stream(false)
            .one_shot(true)
            .build();
        let mut samples = self.docker.stats(name, Some(options));
        let first = async { samples.next().await.transpose() };
        let sample = self.call_raw("read a container's stats", first).await?;
        match sample {
            Ok(None) => Ok(None),
            Err(error) if status_of(&error) == Some(404) => Ok(None),
            Err(error) => Err(backend_error(
                &self.node,
                "read a container's stats",
                name,
                error,
            )),
            Ok(Some(sample)) => {
                let memory = sample.memory_stats.and_then(|m| m.usage);
                let cpu = sample
                    .cpu_stats
                    .and_then(|c| c.cpu_usage)
                    .and_then(|u| u.total_usage);
                // A stopped container answers with empty stats.
                Ok(match (memory, cpu) {
                    (Some(memory_bytes), Some(cpu_total_ns)) if cpu_total_ns > 0 => {
                        Some(ContainerStats {
                            memory_bytes,
                            cpu_total_ns,
                        })
                    }
                    _ => None,
                })
            }
        }
    }

    async fn put_file(
        &self,
        name: &str,
        path: &str,
        contents: &[u8],
        mode: u32,
    ) -> Result<(), BackendError> {
        let archive = crate::image::single_file_tar(path, contents, mode)?;
        let options = UploadToContainerOptionsBuilder::default().path("/").build();
        self.call(
            "write a file into a container",
            name,
            self.docker.upload_to_container(
                name,
                Some(options),
                bollard::body_full(archive.into()),
            ),
        )
        .await
    }

    async fn remove(&self, name: &str) -> Result<(), BackendError> {
        // Force kills a running container; the workspace volume (`v: false`) stays.
        let options = RemoveContainerOptionsBuilder::default()
            .force(true)
            .v(false)
            .build();
        let answer = self
            .call_raw(
                "remove a container",
                self.docker.remove_container(name, Some(options)),
            )
            .await?;
        self.settled(answer, "remove a container", name, 404)
    }

    async fn writable_layer_bytes(&self, name: &str) -> Result<Option<u64>, BackendError> {
        self.writable_layer(name).await
    }

    async fn measure_workspaces(
        &self,
        meter: &super::WorkspaceMeter,
        agents: &[shared::AgentId],
    ) -> Result<Vec<(shared::AgentId, shared::runtime::DiskUse)>, BackendError> {
        self.meter_workspaces(meter, agents).await
    }
}
