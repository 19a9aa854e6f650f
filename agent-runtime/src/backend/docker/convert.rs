//! Docker's answers in the runtime's types: listings to [`ContainerInfo`], inspections to
//! [`ContainerDetails`], Docker's errors to [`BackendError`].

use std::collections::{BTreeMap, HashMap};

use bollard::errors::Error as DockerError;
use bollard::models::{ContainerInspectResponse, ContainerSummary};

use crate::backend::{BackendError, ContainerDetails, ContainerInfo, MountInfo, RunState};

pub(super) fn info_from_summary(summary: ContainerSummary) -> ContainerInfo {
    let state = summary
        .state
        .map_or(RunState::Unknown, |state| RunState::parse(state.as_ref()));
    let name = summary
        .names
        .and_then(|names| names.into_iter().next())
        .unwrap_or_default();
    ContainerInfo {
        id: summary.id.unwrap_or_default(),
        name: name.trim_start_matches('/').to_string(),
        state,
        labels: sorted(summary.labels),
        created_s: summary.created.unwrap_or(0),
        image: summary.image.unwrap_or_default(),
    }
}

pub(super) fn details_from_inspect(inspect: ContainerInspectResponse) -> ContainerDetails {
    let state = inspect.state.unwrap_or_default();
    let run_state = state
        .status
        .map_or(RunState::Unknown, |status| RunState::parse(status.as_ref()));
    let host = inspect.host_config.unwrap_or_default();
    let (labels, image) = inspect
        .config
        .map(|config| (config.labels, config.image.unwrap_or_default()))
        .unwrap_or_default();
    let mounts = inspect
        .mounts
        .unwrap_or_default()
        .into_iter()
        .map(|mount| MountInfo {
            kind: mount.typ.unwrap_or_default(),
            // A volume's source is its path on the host; its name is what the spec set.
            source: mount.name.or(mount.source).unwrap_or_default(),
            target: mount.destination.unwrap_or_default(),
            writable: mount.rw.unwrap_or(true),
        })
        .collect();
    ContainerDetails {
        info: ContainerInfo {
            id: inspect.id.unwrap_or_default(),
            name: inspect
                .name
                .unwrap_or_default()
                .trim_start_matches('/')
                .to_string(),
            state: run_state,
            labels: sorted(labels),
            created_s: inspect
                .created
                .map_or(0, |created| created.unix_timestamp()),
            image,
        },
        exit_code: (run_state == RunState::Exited)
            .then_some(state.exit_code)
            .flatten(),
        oom_killed: state.oom_killed.unwrap_or(false),
        restart_count: inspect.restart_count.unwrap_or(0),
        started_at: state.started_at.clone().unwrap_or_default(),
        privileged: host.privileged.unwrap_or(false),
        cap_add: host.cap_add.unwrap_or_default(),
        cap_drop: host.cap_drop.unwrap_or_default(),
        security_opt: host.security_opt.unwrap_or_default(),
        init: host.init.unwrap_or(false),
        nano_cpus: host.nano_cpus.unwrap_or(0),
        memory_bytes: host.memory.unwrap_or(0),
        memory_swap_bytes: host.memory_swap.unwrap_or(0),
        pids_limit: host.pids_limit.unwrap_or(0),
        network_mode: host.network_mode.unwrap_or_default(),
        mounts,
        device_requests: host.device_requests.map_or(0, |r| r.len()),
        devices: host.devices.map_or(0, |d| d.len()),
        pid_mode: host.pid_mode.unwrap_or_default(),
        ipc_mode: host.ipc_mode.unwrap_or_default(),
        oci_runtime: host.runtime.unwrap_or_default(),
    }
}

fn sorted(labels: Option<HashMap<String, String>>) -> BTreeMap<String, String> {
    labels.unwrap_or_default().into_iter().collect()
}

/// The HTTP status of an engine refusal, if it was one.
pub(super) fn status_of(error: &DockerError) -> Option<u16> {
    match error {
        DockerError::DockerResponseServerError { status_code, .. } => Some(*status_code),
        _ => None,
    }
}

/// Maps a Docker error: 404 names `subject` as missing, other answers are refusals in the
/// engine's words, and anything that is not an answer means the engine is unreachable.
pub(super) fn backend_error(
    node: &str,
    operation: &'static str,
    subject: &str,
    error: DockerError,
) -> BackendError {
    match error {
        DockerError::DockerResponseServerError {
            status_code: 404, ..
        } => BackendError::NotFound {
            node: node.to_string(),
            name: subject.to_string(),
        },
        DockerError::DockerResponseServerError { message, .. } => BackendError::Refused {
            node: node.to_string(),
            operation,
            message,
        },
        DockerError::JsonDataError { message, .. } => BackendError::Refused {
            node: node.to_string(),
            operation,
            message: format!("an answer that is not the API's: {message}"),
        },
        other => BackendError::Unreachable {
            node: node.to_string(),
            reason: other.to_string(),
        },
    }
}
