//! Who is asking the egress proxy: each agent container gets its own proxy credential,
//! `agent-<id>` and a secret derived from the proxy's key (HMAC-SHA256, hex), sent as HTTP
//! Basic `Proxy-Authorization`. The proxy keeps no list: it recomputes the secret, so the
//! launcher and the proxy share only the key. The credential names the agent in every log line;
//! it grants nothing inside the village (it is not the agent's API token).

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use shared::AgentId;

/// Hex digits of the secret: 128 bits.
const SECRET_HEX_DIGITS: usize = 32;
/// Shortest proxy key accepted, in bytes.
pub const KEY_BYTES_MIN: usize = 32;

/// The proxy's key; its `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyKey(Vec<u8>);

impl std::fmt::Debug for ProxyKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProxyKey(<redacted>)")
    }
}

impl ProxyKey {
    /// A key of at least [`KEY_BYTES_MIN`] bytes.
    pub fn new(bytes: Vec<u8>) -> Result<ProxyKey, String> {
        if bytes.len() < KEY_BYTES_MIN {
            return Err(format!(
                "the egress proxy key is {} bytes; at least {KEY_BYTES_MIN} are needed",
                bytes.len()
            ));
        }
        Ok(ProxyKey(bytes))
    }

    /// The secret of `agent`'s credential.
    pub fn secret(&self, agent: AgentId) -> String {
        // HMAC accepts a key of any length, so this cannot fail.
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes keys of any length");
        mac.update(user(agent).as_bytes());
        let digest = mac.finalize().into_bytes();
        digest
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()[..SECRET_HEX_DIGITS]
            .to_string()
    }

    /// The proxy URL an agent's container uses: `http://agent-<id>:<secret>@<address>`.
    pub fn proxy_url(&self, agent: AgentId, address: &str) -> String {
        format!("http://{}:{}@{address}", user(agent), self.secret(agent))
    }

    /// The agent a `Proxy-Authorization` value proves, if it proves one.
    pub fn verify(&self, header: &str) -> Option<AgentId> {
        let encoded = header.strip_prefix("Basic ")?.trim();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (name, secret) = text.split_once(':')?;
        let agent = AgentId(name.strip_prefix("agent-")?.parse().ok()?);
        let expected = self.secret(agent);
        // Equal length always; compared without an early exit.
        let same = expected.len() == secret.len()
            && expected
                .bytes()
                .zip(secret.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        same.then_some(agent)
    }
}

fn user(agent: AgentId) -> String {
    format!("agent-{}", agent.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(user_and_secret: &str) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(user_and_secret)
        )
    }

    #[test]
    fn an_agents_own_credential_proves_it_and_nothing_else_does() {
        // The derived secret proves its agent; another agent's name with it, a changed
        // secret, another key's secret and malformed headers prove nobody.
        let key = ProxyKey::new(vec![7; 32]).unwrap();
        let secret = key.secret(AgentId(4));
        assert_eq!(secret.len(), SECRET_HEX_DIGITS);
        assert_eq!(
            key.verify(&basic(&format!("agent-4:{secret}"))),
            Some(AgentId(4))
        );
        assert_eq!(key.verify(&basic(&format!("agent-5:{secret}"))), None);
        let mut changed = secret.clone();
        changed.replace_range(0..1, if secret.starts_with('0') { "1" } else { "0" });
        assert_eq!(key.verify(&basic(&format!("agent-4:{changed}"))), None);
        let other = ProxyKey::new(vec![8; 32]).unwrap();
        assert_eq!(other.verify(&basic(&format!("agent-4:{secret}"))), None);
        for bad in [
            "",
            "Basic",
            "Basic !!!",
            "Bearer x",
            &basic("agent-x:1"),
            &basic("nobody"),
        ] {
            assert_eq!(key.verify(bad), None, "{bad}");
        }
    }

    #[test]
    fn short_keys_are_refused_and_keys_never_print() {
        // Fewer than 32 bytes is refused with the count; Debug shows no byte.
        assert!(ProxyKey::new(vec![1; 31]).unwrap_err().contains("31 bytes"));
        let key = ProxyKey::new(vec![0xAB; 32]).unwrap();
        assert_eq!(format!("{key:?}"), "ProxyKey(<redacted>)");
        let url = key.proxy_url(AgentId(9), "172.30.0.1:3128");
        assert!(url.starts_with("http://agent-9:") && url.ends_with("@172.30.0.1:3128"));
    }
}
