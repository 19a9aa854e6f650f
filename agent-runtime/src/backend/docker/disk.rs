//! Disk use on a Docker engine: a container's writable layer as the engine counts it, and the
//! workspaces counted by a meter container (`crate::disk_meter`), since a local volume has no
//! size the engine reports through this API version or can cap.
//!
//! The meter is a container of the agent image that the agents never touch: no network, every
//! capability dropped but reading any folder (`DAC_READ_SEARCH`, for folders an agent made
//! unreadable), a read-only root, small memory and pids limits, each workspace mounted
//! read-only. It carries no village label, so a pass never mistakes it for an agent's
//! container; a meter left by a crash is removed by the next measurement on that node.

use std::collections::HashMap;

use bollard::models::{ContainerCreateBody, HostConfig, HostConfigLogConfig, Mount, MountType};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, InspectContainerOptionsBuilder, LogsOptionsBuilder,
};
use futures_util::StreamExt;
use shared::AgentId;
use shared::runtime::DiskUse;

use super::DockerBackend;
use super::convert::{backend_error, status_of};
use crate::backend::{BackendError, ContainerBackend, WorkspaceMeter};
use crate::hardening::NO_NEW_PRIVILEGES;
use crate::spec::workspace_volume;
use agent::disk_meter::{MEASURE_DISK_ARG, parse_output};

/// The meter's own limits: it walks folders and prints a line per workspace.
const METER_MEMORY_BYTES: i64 = 64 << 20;
const METER_PIDS_MAX: i64 = 16;
/// The most output read back from the meter: far more than its lines for any node.
const METER_OUTPUT_BYTES_MAX: usize = 1 << 20;
/// Where workspace `N` is mounted in the meter.
const METER_MOUNT_ROOT: &str = "/ws";

impl DockerBackend {
    /// Bytes in the container's writable layer (`SizeRw`); `Ok(None)` when it does not exist.
    pub(super) async fn writable_layer(&self, name: &str) -> Result<Option<u64>, BackendError> {
        const OPERATION: &str = "measure a container's writable layer";
        let options = InspectContainerOptionsBuilder::default().size(true).build();
        let answer = self
            .call_raw(
                OPERATION,
                self.docker.inspect_container(name, Some(options)),
            )
            .await?;
        match answer {
            Ok(inspect) => Ok(Some(
                inspect
                    .size_rw
                    .map_or(0, |bytes| u64::try_from(bytes).unwrap_or(0)),
            )),
            Err(error) if status_of(&error) == Some(404) => Ok(None),
            Err(error) => Err(backend_error(&self.node, OPERATION, name, error)),
        }
    }

    /// Each agent's workspace counted by one meter container; the meter is removed after.
    pub(super) async fn meter_workspaces(
        &self,
        meter: &WorkspaceMeter,
        agents: &[AgentId],
    ) -> Result<Vec<(AgentId, DiskUse)>, BackendError> {
        if agents.is_empty() {
            return Ok(Vec::new());
        }
        let name = meter_name(&self.node);
        self.remove(&name).await?;
        let measured = self.run_meter(&name, meter, agents).await;
        let removed = self.remove(&name).await;
        let output = measured?;
        removed?;
        let by_path: HashMap<String, DiskUse> = parse_output(&output)
            .into_iter()
            .map(|line| (line.path, line.disk))
            .collect();
        Ok(agents
            .iter()
            .filter_map(|agent| Some((*agent, *by_path.get(&mount_path(*agent))?)))
            .collect())
    }

    async fn run_meter(
        &self,
        name: &str,
        meter: &WorkspaceMeter,
        agents: &[AgentId],
    ) -> Result<String, BackendError> {
        let options = CreateContainerOptionsBuilder::default().name(name).build();
        let body = meter_body(meter, agents, &self.node);
        self.call("create the disk meter", name, {
            self.docker.create_container(Some(options), body)
        })
        .await?;
        self.call("start the disk meter", name, {
            self.docker.start_container(name, None)
        })
        .await?;
        // Each workspace has its own time; the engine's own work (start, mounts) on top.
        let count = u32::try_from(agents.len()).unwrap_or(u32::MAX);
        let limit = meter.per_workspace.saturating_mul(count) + self.call_timeout;
        let mut waits = self.docker.wait_container(name, None);
        let exit = async { Ok(waits.next().await) };
        match self
            .call_within(limit, "wait for the disk meter", exit)
            .await?
        {
            // An exit other than 0 is an error of the wait, with its code.
            Ok(Some(Err(error))) | Err(error) => {
                return Err(backend_error(
                    &self.node,
                    "wait for the disk meter",
                    name,
                    error,
                ));
            }
            Ok(Some(Ok(_)) | None) => {}
        }
        self.meter_output(name).await
    }

    /// The meter's standard output, bounded.
    async fn meter_output(&self, name: &str) -> Result<String, BackendError> {
        let options = LogsOptionsBuilder::default().stdout(true).build();
        let mut logs = self.docker.logs(name, Some(options));
        let read = async {
            let mut output = Vec::new();
            while let Some(chunk) = logs.next().await {
                output.extend_from_slice(&chunk?.into_bytes());
                if output.len() > METER_OUTPUT_BYTES_MAX {
                    break;
                }
            }
            Ok::<_, bollard::errors::Error>(String::from_utf8_lossy(&output).into_owned())
        };
        self.call("read the disk meter's output", name, read).await
    }
}

/// The meter's container name on `node`: one per node, so a leftover is found by name.
fn meter_name(node: &str) -> String {
    let node: String = node
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("aivillage-disk-meter-{node}")
}

fn mount_path(agent: AgentId) -> String {
    format!("{METER_MOUNT_ROOT}/{}", agent.0)
}

/// The meter: the measuring command over each workspace, mounted read-only.
fn meter_body(meter: &WorkspaceMeter, agents: &[AgentId], node: &str) -> ContainerCreateBody {
    let mut cmd = vec![
        MEASURE_DISK_ARG.to_string(),
        meter.per_workspace.as_secs().max(1).to_string(),
    ];
    cmd.extend(agents.iter().map(|agent| mount_path(*agent)));
    let mounts = agents
        .iter()
        .map(|agent| Mount {
            typ: Some(MountType::VOLUME),
            source: Some(workspace_volume(*agent)),
            target: Some(mount_path(*agent)),
            read_only: Some(true),
            ..Default::default()
        })
        .collect();
    ContainerCreateBody {
        image: Some(meter.image.clone()),
        entrypoint: Some(vec![meter.program.clone()]),
        cmd: Some(cmd),
        labels: Some(HashMap::from([(
            "aivillage.disk-meter".to_string(),
            node.to_string(),
        )])),
        host_config: Some(HostConfig {
            network_mode: Some("none".to_string()),
            cap_drop: Some(vec!["ALL".to_string()]),
            cap_add: Some(vec!["DAC_READ_SEARCH".to_string()]),
            security_opt: Some(vec![NO_NEW_PRIVILEGES.to_string()]),
            readonly_rootfs: Some(true),
            memory: Some(METER_MEMORY_BYTES),
            memory_swap: Some(METER_MEMORY_BYTES),
            pids_limit: Some(METER_PIDS_MAX),
            mounts: Some(mounts),
            log_config: Some(HostConfigLogConfig {
                typ: Some("json-file".to_string()),
                config: Some(HashMap::from([(
                    "max-size".to_string(),
                    METER_OUTPUT_BYTES_MAX.to_string(),
                )])),
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn the_meter_reads_each_workspace_read_only_with_nothing_else() {
        // Two agents: both volumes read-only at /ws/N, no network, only DAC_READ_SEARCH, a
        // read-only root, no village label (a pass must not take it for an agent).
        let meter = WorkspaceMeter {
            image: "aivillage-agent:abc".into(),
            program: "/usr/local/bin/village-agent".into(),
            per_workspace: Duration::from_secs(5),
        };
        let body = meter_body(&meter, &[AgentId(3), AgentId(9)], "sparky 1");
        assert_eq!(
            body.cmd.unwrap(),
            ["measure-disk", "5", "/ws/3", "/ws/9"].map(String::from)
        );
        let host = body.host_config.unwrap();
        let mounts = host.mounts.unwrap();
        assert_eq!(mounts.len(), 2);
        assert!(mounts.iter().all(|m| m.read_only == Some(true)));
        assert_eq!(mounts[1].source.as_deref(), Some("aivillage-workspace-9"));
        assert_eq!(host.network_mode.as_deref(), Some("none"));
        assert_eq!(host.cap_add.unwrap(), ["DAC_READ_SEARCH"]);
        assert_eq!(host.readonly_rootfs, Some(true));
        assert!(!body.labels.unwrap().contains_key(crate::spec::LABEL_APP));
        assert_eq!(meter_name("sparky 1"), "aivillage-disk-meter-sparky-1");
    }
}
