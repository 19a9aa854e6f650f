//! The Docker `HostConfig` of an agent's container: the hardening policy of
//! [`crate::hardening`] and the limits of the agent's tier, in Docker's words.
//!
//! Building only: no engine calls here, so the whole policy is visible in one place and a
//! unit test can read it.

use std::collections::HashMap;

use bollard::models::{
    ContainerUpdateBody, DeviceRequest, HostConfig, HostConfigLogConfig, Mount, MountType,
};
use shared::tier::GpuShare;

use crate::hardening::{CAP_ADD, LOG_FILE_BYTES_MAX, LOG_FILES_MAX, NO_NEW_PRIVILEGES};
use crate::spec::{
    API_SOCKET_DIR, ContainerSpec, Limits, Network, WORKSPACE_PATH, workspace_volume,
};

/// The host side of the container: limits, capabilities, mounts, network, init, logs.
pub(super) fn hardened_host_config(spec: &ContainerSpec) -> HostConfig {
    let limits = &spec.limits;
    HostConfig {
        nano_cpus: Some(limits.nano_cpus()),
        memory: Some(limits.memory_bytes()),
        // Swap equal to memory: no swap on top of the tier's memory.
        memory_swap: Some(limits.memory_bytes()),
        pids_limit: Some(i64::from(limits.pids_max)),
        privileged: Some(false),
        cap_drop: Some(vec!["ALL".to_string()]),
        cap_add: Some(CAP_ADD.iter().map(|cap| cap.to_string()).collect()),
        security_opt: Some(vec![NO_NEW_PRIVILEGES.to_string()]),
        // An init as PID 1 reaps the agent's children and forwards SIGTERM, so a stop takes
        // milliseconds instead of the 10 s kill timeout.
        init: Some(true),
        network_mode: Some(match &spec.network {
            Network::None => "none".to_string(),
            Network::Named(name) => name.clone(),
        }),
        mounts: Some(mounts(spec)),
        device_requests: gpu_request(limits.gpu),
        runtime: spec.oci_runtime.clone(),
        ipc_mode: Some("private".to_string()),
        // Bounded logs: an agent printing without end cannot fill the node's disk.
        log_config: Some(HostConfigLogConfig {
            typ: Some("json-file".to_string()),
            config: Some(HashMap::from([
                ("max-size".to_string(), LOG_FILE_BYTES_MAX.to_string()),
                ("max-file".to_string(), LOG_FILES_MAX.to_string()),
            ])),
        }),
        ..Default::default()
    }
}

/// The agent's own workspace volume, and the server's API socket folder read-only when the
/// spec names one. No other host path, never the engine's socket.
fn mounts(spec: &ContainerSpec) -> Vec<Mount> {
    let mut mounts = vec![Mount {
        typ: Some(MountType::VOLUME),
        source: Some(workspace_volume(spec.agent)),
        target: Some(WORKSPACE_PATH.to_string()),
        read_only: Some(false),
        ..Default::default()
    }];
    if let Some(folder) = &spec.api_socket_dir {
        mounts.push(Mount {
            typ: Some(MountType::BIND),
            source: Some(folder.clone()),
            target: Some(API_SOCKET_DIR.to_string()),
            read_only: Some(true),
            ..Default::default()
        });
    }
    mounts
}

/// The GPU device request of a tier: every GPU shared, or one reserved.
fn gpu_request(gpu: GpuShare) -> Option<Vec<DeviceRequest>> {
    let count = match gpu {
        GpuShare::None => return None,
        GpuShare::Shared => -1,
        GpuShare::Dedicated => 1,
    };
    Some(vec![DeviceRequest {
        driver: Some("nvidia".to_string()),
        count: Some(count),
        capabilities: Some(vec![vec!["gpu".to_string()]]),
        ..Default::default()
    }])
}

/// The live update for new limits: CPU, memory (with swap, together) and pids. GPU requests
/// cannot change on a live container; a GPU change needs a new container.
pub(super) fn limits_update(limits: &Limits) -> ContainerUpdateBody {
    ContainerUpdateBody {
        nano_cpus: Some(limits.nano_cpus()),
        memory: Some(limits.memory_bytes()),
        memory_swap: Some(limits.memory_bytes()),
        pids_limit: Some(i64::from(limits.pids_max)),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(gpu: GpuShare) -> ContainerSpec {
        let limits = Limits {
            gpu,
            ..crate::spec::WORKER_LIMITS
        };
        crate::spec::sample_spec(3, limits)
    }

    #[test]
    fn the_host_config_drops_every_capability_and_mounts_only_the_workspace() {
        // The policy in one place: all caps dropped, a few added back, no new privileges,
        // init, no network, one volume, limits from the tier, no GPU for a GPU-less tier.
        let host = hardened_host_config(&spec(GpuShare::None));
        assert_eq!(host.privileged, Some(false));
        assert_eq!(host.cap_drop, Some(vec!["ALL".to_string()]));
        assert_eq!(
            host.security_opt,
            Some(vec!["no-new-privileges=true".to_string()])
        );
        assert_eq!(host.init, Some(true));
        assert_eq!(host.network_mode.as_deref(), Some("none"));
        assert_eq!(host.nano_cpus, Some(1_000_000_000));
        assert_eq!(host.memory, host.memory_swap);
        assert_eq!(host.pids_limit, Some(128));
        let mounts = host.mounts.unwrap();
        assert_eq!(mounts.len(), 1);
        assert_eq!(mounts[0].source.as_deref(), Some("aivillage-workspace-3"));
        assert!(host.binds.is_none());
        assert!(host.device_requests.is_none());
    }

    #[test]
    fn gpu_tiers_request_a_gpu_and_updates_keep_swap_equal_to_memory() {
        // A shared GPU asks for all devices, a dedicated one for exactly one.
        let shared = hardened_host_config(&spec(GpuShare::Shared))
            .device_requests
            .unwrap();
        assert_eq!(shared[0].count, Some(-1));
        let dedicated = hardened_host_config(&spec(GpuShare::Dedicated))
            .device_requests
            .unwrap();
        assert_eq!(dedicated[0].count, Some(1));
        let update = limits_update(&spec(GpuShare::None).limits);
        assert_eq!(update.memory, update.memory_swap);
        assert_eq!(update.nano_cpus, Some(1_000_000_000));
    }
}
