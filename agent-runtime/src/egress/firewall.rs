//! The host firewall around the egress network: an internal network stops its containers
//! from reaching other networks, but not the host itself, which is on the network as its
//! gateway, so every host service listening on all addresses (a database, the engine's TCP
//! port, the metrics endpoint) would be open to agents. Two rules in the host's `INPUT` chain
//! close that: from the network's bridge only TCP to the proxy's address and port is
//! accepted; everything else from it is dropped. They are applied with `iptables` (the
//! engine needs it on the node anyway), replacing any earlier pair for the same bridge (a
//! restart may move the port), and tagged with a comment so they can be found and removed.
//! IPv4 only: the egress network is made without IPv6.

use std::process::Command;

/// The comment that marks the village's rules.
const RULE_COMMENT: &str = "aivillage-egress";

/// Why the rules could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum FirewallError {
    #[error("cannot run iptables: {0}")]
    Unavailable(std::io::Error),
    #[error("iptables {arguments} failed: {message}")]
    Failed { arguments: String, message: String },
    #[error("{0:?} is not a network interface name")]
    BadBridge(String),
}

/// Lets the containers on `bridge` reach the host only at `gateway:port` (the proxy).
pub fn guard_gateway(bridge: &str, gateway: &str, port: u16) -> Result<(), FirewallError> {
    check_bridge(bridge)?;
    release_gateway(bridge)?;
    // Inserted at the top in this order, so the accept comes before the drop.
    iptables(&rule("-I", bridge, &["-j", "DROP"]))?;
    let port = port.to_string();
    iptables(&rule(
        "-I",
        bridge,
        &["-p", "tcp", "-d", gateway, "--dport", &port, "-j", "ACCEPT"],
    ))?;
    tracing::info!(
        bridge,
        gateway,
        port,
        "egress firewall: the host is closed to the egress network but for the proxy"
    );
    Ok(())
}

/// Removes the village's rules for `bridge` (when its network is gone).
pub fn release_gateway(bridge: &str) -> Result<(), FirewallError> {
    check_bridge(bridge)?;
    let listed = iptables(&["-w", "-S", "INPUT"].map(String::from))?;
    for line in listed.lines() {
        let Some(spec) = line.strip_prefix("-A INPUT ") else {
            continue;
        };
        let words: Vec<String> = spec.split_whitespace().map(String::from).collect();
        let ours = words
            .windows(2)
            .any(|pair| pair[0] == "-i" && pair[1] == bridge)
            && spec.contains(RULE_COMMENT);
        if ours {
            let mut arguments = vec!["-w".to_string(), "-D".into(), "INPUT".into()];
            arguments.extend(
                words
                    .into_iter()
                    .map(|word| word.trim_matches('"').to_string()),
            );
            iptables(&arguments)?;
        }
    }
    Ok(())
}

/// `iptables -w OP INPUT [1] -i BRIDGE ... -m comment --comment aivillage-egress`.
fn rule(operation: &str, bridge: &str, tail: &[&str]) -> Vec<String> {
    let mut arguments = vec!["-w", operation, "INPUT"];
    if operation == "-I" {
        arguments.push("1");
    }
    arguments.extend(["-i", bridge]);
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

/// Runs iptables; its standard output.
fn iptables(arguments: &[String]) -> Result<String, FirewallError> {
    let output = Command::new("iptables")
        .args(arguments)
        .output()
        .map_err(FirewallError::Unavailable)?;
    if !output.status.success() {
        return Err(FirewallError::Failed {
            arguments: arguments.join(" "),
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
        let drop = rule("-I", "br-0123456789ab", &["-j", "DROP"]);
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
