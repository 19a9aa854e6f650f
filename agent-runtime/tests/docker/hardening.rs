//! R6: every container the runtime starts meets the hardening policy, read back both from the
//! engine's inspection and from inside the container.

use runtime::backend::ContainerBackend;
use runtime::hardening::deviations;

use crate::engine::{CleanUp, SEEDLING, engine, exec, fresh_agent, fresh_node, started};

/// CapEff of root inside: CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, SETGID, SETUID and
/// NET_BIND_SERVICE (bits 0, 1, 3, 4, 5, 6, 7 and 10), nothing else.
const CAP_EFF: &str = "00000000000004fb";

#[tokio::test]
async fn a_started_container_meets_the_policy_as_inspected_and_from_inside() {
    // The engine reports no deviation, and inside, root has only the policy's capabilities,
    // cannot gain more, runs under seccomp with an init, sees no network and no engine socket.
    let Some(backend) = engine(&fresh_node("r6")).await else {
        return;
    };
    let agent = fresh_agent();
    let _clean = CleanUp(vec![agent]);
    let spec = started(&backend, agent, SEEDLING).await;
    let details = backend.inspect(&spec.name()).await.unwrap().unwrap();
    assert_eq!(deviations(&details, &spec), Vec::<String>::new());

    let name = spec.name();
    let (ok, uid) = exec(&name, &["id", "-u"]);
    assert!(ok && uid.trim() == "0", "the agent is root inside: {uid}");
    let (_, status) = exec(&name, &["cat", "/proc/self/status"]);
    let field = |key: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(key))
            .map(str::trim)
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(field("CapEff:"), CAP_EFF, "{status}");
    assert_eq!(field("CapBnd:"), CAP_EFF, "the bounding set is the same");
    assert_eq!(field("NoNewPrivs:"), "1");
    assert_eq!(field("Seccomp:"), "2", "the default seccomp filter applies");
    let (_, init) = exec(&name, &["cat", "/proc/1/cmdline"]);
    assert!(init.contains("init"), "PID 1 is an init: {init:?}");
    let (_, interfaces) = exec(&name, &["ls", "/sys/class/net"]);
    assert_eq!(interfaces.split_whitespace().collect::<Vec<_>>(), ["lo"]);
    let (socket, _) = exec(&name, &["test", "-e", "/var/run/docker.sock"]);
    assert!(!socket, "no engine socket inside");
    let (mounted, why) = exec(&name, &["mount", "-t", "tmpfs", "none", "/workspace"]);
    assert!(
        !mounted && why.contains("ermi"),
        "root inside cannot mount: {why}"
    );
    // Root can still do a root's work in its own files.
    for command in [
        &["sh", "-c", "echo x > /workspace/f"][..],
        &["chown", "1000:1000", "/workspace/f"],
        &["chmod", "600", "/workspace/f"],
    ] {
        let (ok, why) = exec(&name, command);
        assert!(ok, "root manages its own files ({command:?}): {why}");
    }
}
