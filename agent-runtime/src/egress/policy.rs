//! Where the egress proxy lets an agent go: only the allowed ports (80 and 443 by default), and
//! only public addresses. Loopback, private, link-local, shared, multicast, documentation and
//! unspecified addresses are refused, unless an operator (or a test) allows a range, so an
//! agent cannot use the proxy to reach the host, the server's TCP port, the engine, other
//! containers or a cloud metadata service. A name is resolved once and every address it
//! resolves to is checked; the proxy then connects to a checked address, never resolving
//! again (no DNS rebinding between check and connect). Pure but for the lookup.

use std::net::{IpAddr, SocketAddr};

use ipnet::IpNet;

/// Addresses a name may resolve to that are tried, at most.
const ADDRESSES_MAX: usize = 8;

/// The destination rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Ports an agent may reach.
    pub ports: Vec<u16>,
    /// Ranges allowed although not public (tests on loopback; a site's own mirror).
    pub allowed_ranges: Vec<IpNet>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            ports: vec![80, 443],
            allowed_ranges: Vec::new(),
        }
    }
}

/// Why a destination is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("port {0} is not one the proxy allows")]
    Port(u16),
    #[error("{host} resolves to {address}, which is not a public address")]
    NotPublic { host: String, address: IpAddr },
    #[error("{host} does not resolve: {reason}")]
    Unresolved { host: String, reason: String },
}

impl Policy {
    /// Whether `address` may be reached (the port is checked separately).
    pub fn allows(&self, address: IpAddr) -> bool {
        let address = match address {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
            v4 => v4,
        };
        is_public(address) || self.allowed_ranges.iter().any(|r| r.contains(&address))
    }

    /// The addresses of `host:port` the agent may reach, every one checked; refused if any
    /// address is not allowed (a name with one private address is not used at all).
    pub async fn resolve(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, Refusal> {
        if !self.ports.contains(&port) {
            return Err(Refusal::Port(port));
        }
        let unresolved = |reason: String| Refusal::Unresolved {
            host: host.to_string(),
            reason,
        };
        let found: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| unresolved(e.to_string()))?
            .take(ADDRESSES_MAX)
            .collect();
        if found.is_empty() {
            return Err(unresolved("no addresses".to_string()));
        }
        if let Some(bad) = found.iter().find(|a| !self.allows(a.ip())) {
            return Err(Refusal::NotPublic {
                host: host.to_string(),
                address: bad.ip(),
            });
        }
        Ok(found)
    }
}

/// Whether `address` is a public unicast address.
fn is_public(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_unspecified()
                || a == 0
                // Shared address space (carrier-grade NAT), 100.64.0.0/10.
                || (a == 100 && (64..128).contains(&b))
                // Benchmarking, 198.18.0.0/15; reserved, 240.0.0.0/4.
                || (a == 198 && (b == 18 || b == 19))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                // Unique local fc00::/7, link-local fe80::/10, documentation 2001:db8::/32.
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || (first == 0x2001 && v6.segments()[1] == 0x0db8))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_pass_unless_a_range_is_allowed() {
        // Each kind of non-public address is refused, mapped IPv6 included; an allowed range
        // lets its own addresses through and no others.
        let policy = Policy::default();
        for public in ["93.184.216.34", "1.1.1.1", "2606:4700::1111"] {
            assert!(policy.allows(public.parse().unwrap()), "{public}");
        }
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.17.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "198.18.0.1",
            "240.0.0.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "2001:db8::1",
        ] {
            assert!(!policy.allows(private.parse().unwrap()), "{private}");
        }
        let tests = Policy {
            allowed_ranges: vec!["127.0.0.0/8".parse().unwrap()],
            ..Policy::default()
        };
        assert!(tests.allows("127.0.0.1".parse().unwrap()));
        assert!(!tests.allows("10.0.0.1".parse().unwrap()));
    }

    #[tokio::test]
    async fn names_are_refused_by_port_or_by_any_address() {
        // A port outside the list is refused before any lookup; `localhost` resolves to
        // loopback and is refused; an address literal in an allowed range passes.
        let policy = Policy::default();
        assert_eq!(
            policy.resolve("example.org", 22).await,
            Err(Refusal::Port(22))
        );
        assert!(matches!(
            policy.resolve("localhost", 80).await,
            Err(Refusal::NotPublic { .. })
        ));
        let tests = Policy {
            ports: vec![8080],
            allowed_ranges: vec!["127.0.0.0/8".parse().unwrap()],
        };
        let found = tests.resolve("127.0.0.1", 8080).await.unwrap();
        assert_eq!(found, vec!["127.0.0.1:8080".parse().unwrap()]);
    }
}
