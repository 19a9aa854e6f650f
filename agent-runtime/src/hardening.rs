//! The hardening policy every agent container must meet, and the check that reads it back
//! from what the engine reports (R6).
//!
//! Agents run as root inside their containers, so isolation comes from what the container is
//! denied: no privileges, no capabilities beyond the few that let root install packages, no
//! new privileges through setuid, the default seccomp profile, no host paths or engine socket,
//! no host namespaces, and the tier's limits. The backends apply this policy; the runtime
//! inspects every container it starts and refuses to run one that deviates.

use crate::backend::{ContainerDetails, MountInfo};
use crate::spec::{API_SOCKET_DIR, ContainerSpec, Network, WORKSPACE_PATH, workspace_volume};

/// Capabilities added back after dropping all: what root needs to install packages, manage
/// files and users, and signal its own processes. Not NET_RAW, SYS_ADMIN, SYS_PTRACE, MKNOD
/// or anything that reaches past the container.
pub const CAP_ADD: [&str; 8] = [
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "NET_BIND_SERVICE",
];

/// The security option that stops setuid binaries from gaining privileges.
pub const NO_NEW_PRIVILEGES: &str = "no-new-privileges=true";

/// Largest log file the engine keeps per container, and how many it rotates through.
pub const LOG_FILE_BYTES_MAX: &str = "10m";
pub const LOG_FILES_MAX: u32 = 3;

/// Every way `details` falls short of the policy for `spec`, in words; empty when none.
pub fn deviations(details: &ContainerDetails, spec: &ContainerSpec) -> Vec<String> {
    let mut found = Vec::new();
    let mut require = |ok: bool, what: String| {
        if !ok {
            found.push(what);
        }
    };
    require(!details.privileged, "the container is privileged".into());
    require(
        same_caps(&details.cap_drop, &["ALL"]),
        format!("cap_drop is {:?}, not [\"ALL\"]", details.cap_drop),
    );
    let extra: Vec<_> = details
        .cap_add
        .iter()
        .filter(|cap| !CAP_ADD.contains(&normalize_cap(cap)))
        .collect();
    require(
        extra.is_empty(),
        format!("capabilities beyond the policy are added: {extra:?}"),
    );
    require(
        details.security_opt.iter().any(|o| o == NO_NEW_PRIVILEGES),
        format!(
            "security_opt {:?} lacks {NO_NEW_PRIVILEGES}",
            details.security_opt
        ),
    );
    let unconfined: Vec<_> = details
        .security_opt
        .iter()
        .filter(|o| o.contains("unconfined"))
        .collect();
    require(
        unconfined.is_empty(),
        format!("a default profile is switched off: {unconfined:?}"),
    );
    require(details.init, "no init process runs as PID 1".into());
    let limits = &spec.limits;
    require(
        details.nano_cpus == limits.nano_cpus(),
        format!(
            "nano_cpus is {}, the tier grants {}",
            details.nano_cpus,
            limits.nano_cpus()
        ),
    );
    require(
        details.memory_bytes == limits.memory_bytes(),
        format!(
            "memory is {} bytes, the tier grants {}",
            details.memory_bytes,
            limits.memory_bytes()
        ),
    );
    require(
        details.memory_swap_bytes == details.memory_bytes,
        format!(
            "memory + swap is {} bytes: swap is granted on top of memory",
            details.memory_swap_bytes
        ),
    );
    require(
        details.pids_limit == i64::from(limits.pids_max),
        format!(
            "pids limit is {}, the tier grants {}",
            details.pids_limit, limits.pids_max
        ),
    );
    let network = match &spec.network {
        Network::None => "none",
        Network::Named(name) => name.as_str(),
    };
    require(
        details.network_mode == network,
        format!(
            "network mode is {:?}, not {network:?}",
            details.network_mode
        ),
    );
    let mut expected = vec![MountInfo {
        kind: "volume".into(),
        source: workspace_volume(spec.agent),
        target: WORKSPACE_PATH.into(),
        writable: true,
    }];
    if let Some(folder) = &spec.api_socket_dir {
        expected.push(MountInfo {
            kind: "bind".into(),
            source: folder.clone(),
            target: API_SOCKET_DIR.into(),
            writable: false,
        });
    }
    let mut mounts = details.mounts.clone();
    mounts.sort_by(|a, b| a.target.cmp(&b.target));
    expected.sort_by(|a, b| a.target.cmp(&b.target));
    require(
        mounts == expected,
        format!(
            "mounts are {:?}, not only the workspace volume (and the API socket folder, \
             read-only): {expected:?}",
            details.mounts
        ),
    );
    require(
        details.devices == 0,
        format!("{} host devices are mapped in", details.devices),
    );
    let gpu_requests = usize::from(limits.gpu != shared::tier::GpuShare::None);
    require(
        details.device_requests == gpu_requests,
        format!(
            "{} device requests, the tier grants {gpu_requests}",
            details.device_requests
        ),
    );
    require(
        !details.pid_mode.starts_with("host") && !details.pid_mode.starts_with("container:"),
        format!("pid namespace is shared: {:?}", details.pid_mode),
    );
    require(
        !details.ipc_mode.starts_with("host") && !details.ipc_mode.starts_with("container:"),
        format!("ipc namespace is shared: {:?}", details.ipc_mode),
    );
    if let Some(runtime) = &spec.oci_runtime {
        require(
            &details.oci_runtime == runtime,
            format!(
                "OCI runtime is {:?}, the tier asks for {runtime:?}",
                details.oci_runtime
            ),
        );
    }
    for (key, value) in spec.labels() {
        require(
            details.info.labels.get(&key) == Some(&value),
            format!(
                "label {key} is {:?}, not {value:?}",
                details.info.labels.get(&key)
            ),
        );
    }
    found
}

/// Engines report capabilities with or without the `CAP_` prefix.
fn normalize_cap(cap: &str) -> &str {
    cap.strip_prefix("CAP_").unwrap_or(cap)
}

fn same_caps(actual: &[String], expected: &[&str]) -> bool {
    actual.len() == expected.len()
        && actual
            .iter()
            .all(|cap| expected.contains(&normalize_cap(cap)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::{ContainerInfo, RunState};

    fn spec() -> ContainerSpec {
        crate::spec::sample_spec(4, crate::spec::SEEDLING_LIMITS)
    }

    /// What a container built to the policy reports.
    fn compliant() -> ContainerDetails {
        let spec = spec();
        ContainerDetails {
            info: ContainerInfo {
                id: "abc".into(),
                name: spec.name(),
                state: RunState::Running,
                labels: spec.labels(),
                created_s: 0,
                image: spec.image.clone(),
            },
            exit_code: None,
            oom_killed: false,
            restart_count: 0,
            started_at: String::new(),
            privileged: false,
            cap_add: CAP_ADD.iter().map(|c| format!("CAP_{c}")).collect(),
            cap_drop: vec!["ALL".into()],
            security_opt: vec![NO_NEW_PRIVILEGES.into()],
            init: true,
            nano_cpus: spec.limits.nano_cpus(),
            memory_bytes: spec.limits.memory_bytes(),
            memory_swap_bytes: spec.limits.memory_bytes(),
            pids_limit: 64,
            network_mode: "none".into(),
            mounts: vec![MountInfo {
                kind: "volume".into(),
                source: workspace_volume(spec.agent),
                target: WORKSPACE_PATH.into(),
                writable: true,
            }],
            device_requests: 0,
            devices: 0,
            pid_mode: String::new(),
            ipc_mode: "private".into(),
            oci_runtime: "runc".into(),
        }
    }

    #[test]
    fn a_container_built_to_the_policy_has_no_deviation() {
        // The check accepts what the policy builds, `CAP_` prefixes included.
        assert_eq!(deviations(&compliant(), &spec()), Vec::<String>::new());
    }

    #[test]
    fn the_api_socket_folder_is_allowed_only_read_only_and_only_when_named() {
        // With a socket folder in the spec, its read-only bind is expected; writable, another
        // host path, or the bind without the spec naming it are deviations.
        let mut with_socket = spec();
        with_socket.api_socket_dir = Some("/run/aivillage/api".into());
        let mut details = compliant();
        details.mounts.push(MountInfo {
            kind: "bind".into(),
            source: "/run/aivillage/api".into(),
            target: API_SOCKET_DIR.into(),
            writable: false,
        });
        assert_eq!(deviations(&details, &with_socket), Vec::<String>::new());
        assert_eq!(
            deviations(&details, &spec()).len(),
            1,
            "not named in the spec"
        );
        details.mounts[1].writable = true;
        assert_eq!(deviations(&details, &with_socket).len(), 1, "writable");
        details.mounts[1].writable = false;
        details.mounts[1].source = "/".into();
        assert_eq!(
            deviations(&details, &with_socket).len(),
            1,
            "another host path"
        );
        assert_eq!(deviations(&compliant(), &with_socket).len(), 1, "missing");
    }

    #[test]
    fn each_weakening_is_named() {
        // Every single departure from the policy is reported on its own.
        type Weaken = fn(&mut ContainerDetails);
        let cases: [(Weaken, &str); 13] = [
            (|d| d.privileged = true, "privileged"),
            (|d| d.cap_drop.clear(), "cap_drop"),
            (|d| d.cap_add.push("SYS_ADMIN".into()), "SYS_ADMIN"),
            (|d| d.security_opt.clear(), "no-new-privileges"),
            (
                |d| d.security_opt.push("seccomp=unconfined".into()),
                "unconfined",
            ),
            (|d| d.init = false, "init"),
            (|d| d.memory_swap_bytes *= 2, "swap"),
            (|d| d.network_mode = "host".into(), "network"),
            (
                |d| {
                    d.mounts.push(MountInfo {
                        kind: "bind".into(),
                        source: "/var/run/docker.sock".into(),
                        target: "/var/run/docker.sock".into(),
                        writable: true,
                    })
                },
                "docker.sock",
            ),
            (|d| d.mounts[0].writable = false, "mounts are"),
            (|d| d.pid_mode = "host".into(), "pid"),
            (|d| d.devices = 1, "devices"),
            (
                |d| {
                    d.info.labels.remove(crate::spec::LABEL_AGENT);
                },
                "aivillage.agent_id",
            ),
        ];
        for (weaken, word) in cases {
            let mut details = compliant();
            weaken(&mut details);
            let found = deviations(&details, &spec());
            assert_eq!(found.len(), 1, "{word}: {found:?}");
            assert!(found[0].contains(word), "{word}: {found:?}");
        }
    }
}
