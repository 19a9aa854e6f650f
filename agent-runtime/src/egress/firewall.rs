//! The host firewall around the egress network: an internal network stops its containers
//! from reaching other networks, but not the host itself, which is on the network as its
//! gateway, so every host service listening on all addresses (a database, the engine's TCP
//! port, the metrics endpoint) would be open to agents. Two rules in the host's `INPUT` chain
//! close that: from the network's bridge only TCP to the proxy's address and port is
//! accepted; everything else from it is dropped. They are applied with `iptables` (the
//! engine needs it on the node anyway), tagged with a comment so they can be found and
//! removed; an earlier start's accept for another port is removed only once the new pair is
//! in. Over IPv6 (the bridge's link-local addresses) everything from the bridge is dropped:
//! the proxy listens on IPv4 only.

use std::process::Command;

/// The comment that marks the village's rules.
const RULE_COMMENT: &str = "aivillage-egress";

/// Why the rules could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum FirewallError {
    #[error("cannot run iptables or ip6tables: {0}")]
    Unavailable(std::io::Error),
    #[error("{arguments} failed: {message}")]
    Failed { arguments: String, message: String },
    #[error("{0:?} is not a network interface name")]
    BadBridge(String),
}

/// Lets the containers on `bridge` reach the host only at `gateway:port` (the proxy), over
/// IPv4, and not at all over IPv6 (the bridge's link-local addresses). Rules already in place
/// stay while the new ones go in, so the host is never open in between.
pub fn guard_gateway(bridge: &str, gateway: &str, port: u16) -> Result<(), FirewallError> {
    check_bridge(bridge)?;
    let port = port.to_string();
    let accept = rule(
        bridge,
        &["-p", "tcp", "-d", gateway, "--dport", &port, "-j", "ACCEPT"],
    );
    let drop = rule(bridge, &["-j", "DROP"]);
    for tool in [IPV4, IPV6] {
        if !present(tool, &drop)? {
            // Nothing was dropped, so removing an accept of ours first opens nothing; then
            // the drop goes in below any accept inserted after it.
            if tool == IPV4 {
                release_rules(tool, bridge, |_| true)?;
            }
            run(tool, &inserted(&drop))?;
        }
    }
    if !present(IPV4, &accept)? {
        run(IPV4, &inserted(&accept))?;
    }
    // Accepts for another address or port (an earlier start) go last.
    let (wanted_port, wanted_address) = (format!("--dport {port}"), format!("-d {gateway}/32"));
    release_rules(IPV4, bridge, |line| {
        line.contains("-j ACCEPT")
            && !(line.contains(&wanted_port) && line.contains(&wanted_address))
    })?;
    tracing::info!(bridge, gateway, %port, "egress firewall: the host is closed to the egress network but for the proxy");
    Ok(())
}

/// Removes the village's rules for `bridge` (when its network is gone).
pub fn release_gateway(bridge: &str) -> Result<(), FirewallError> {
    check_bridge(bridge)?;
    for tool in [IPV4, IPV6] {
        release_rules(tool, bridge, |_| true)?;
    }
    Ok(())
}

/// The tools for each address family.
const IPV4: &str = "iptables";
const IPV6: &str = "ip6tables";

/// Deletes the rules of ours for `bridge` whose `-S` line `doomed` picks.
fn release_rules(
    tool: &str,
    bridge: &str,
    doomed: impl Fn(&str) -> bool,
) -> Result<(), FirewallError> {
    let listed = run(tool, &["-w", "-S", "INPUT"].map(String::from))?;
    for line in listed.lines() {
        let Some(spec) = line.strip_prefix("-A INPUT ") else {
            continue;
        };
        let words: Vec<String> = spec.split_whitespace().map(String::from).collect();
        let ours = words
            .windows(2)
            .any(|pair| pair[0] == "-i" && pair[1] == bridge)
            && spec.contains(RULE_COMMENT);
        if ours && doomed(spec) {
            let mut arguments = vec!["-w".to_string(), "-D".into(), "INPUT".into()];
            arguments.extend(
                words
                    .into_iter()
                    .map(|word| word.trim_matches('"').to_string()),
            );
            run(tool, &arguments)?;
        }
    }
    Ok(())
}

/// Whether `spec` is in INPUT (`-C`).
fn present(tool: &str, spec: &[String]) -> Result<bool, FirewallError> {
    let mut arguments = vec!["-w".to_string(), "-C".into(), "INPUT".into()];
    arguments.extend_from_slice(spec);
    let output = Command::new(tool)
        .args(&arguments)
        .output()
        .map_err(FirewallError::Unavailable)?;
    Ok(output.status.success())
}

/// `spec` inserted at the top of INPUT.
fn inserted(spec: &[String]) -> Vec<String> {
    let mut arguments = vec!["-w".to_string(), "-I".into(), "INPUT".into(), "1".into()];
    arguments.extend_from_slice(spec);
    arguments
}

/// A rule's spec: `-i BRIDGE ... -m comment --comment aivillage-egress`.
fn rule(bridge: &str, tail: &[&str]) -> Vec<String> {
    let mut arguments = vec!["-i", bridge];
    arguments.extend_from_slice(tail);
    arguments.extend(["-m", "comment", "--comment", RULE_COMMENT]);
    arguments.into_iter().map(String::from).collect()
}

/// A bridge name goes on a command line: only what interface names are made of.
fn check_bridge(bridge: &str) -> Result<(), FirewallError> {
    let fits = !bridge.is_empty()
        && bridge.len() <= 15
        && bridge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    if fits {
        Ok(())
    } else {
        Err(FirewallError::BadBridge(bridge.to_string()))
    }
}

/// Runs `tool` (iptables or ip6tables); its standard output.
fn run(tool: &str, arguments: &[String]) -> Result<String, FirewallError> {
    let output = Command::new(tool)
        .args(arguments)
        .output()
        .map_err(FirewallError::Unavailable)?;
    if !output.status.success() {
        return Err(FirewallError::Failed {
            arguments: format!("{tool} {}", arguments.join(" ")),
            message: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_name_the_bridge_and_carry_the_comment() {
        // The insert goes to the top of INPUT; every rule is tagged for release.
        let drop = inserted(&rule("br-0123456789ab", &["-j", "DROP"]));
        assert_eq!(
            drop.join(" "),
            "-w -I INPUT 1 -i br-0123456789ab -j DROP -m comment --comment aivillage-egress"
        );
    }

    #[test]
    fn a_bridge_name_that_is_not_an_interface_name_is_refused() {
        // Nothing that could be read as another argument reaches iptables.
        for bad in ["", "br-0 -j ACCEPT", "a-name-longer-than-15", "br/0"] {
            assert!(
                matches!(check_bridge(bad), Err(FirewallError::BadBridge(_))),
                "{bad}"
            );
        }
        assert!(check_bridge("br-0123456789ab").is_ok());
    }
}
