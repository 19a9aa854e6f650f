//! Opaque bearer secrets (agent tokens, refresh tokens): 256 random bits, shown once, stored
//! only as their SHA-256. A hash suffices (no argon2) because the secret is random, not chosen.

use rand::Rng;
use sha2::{Digest, Sha256};

/// What agent tokens an admin issues start with, so a request's bearer is recognisable
/// without parsing it.
pub const AGENT_TOKEN_PREFIX: &str = "avt_";
/// What agent tokens fetched by the runtime for a container start with: they work only
/// through the agent door (`auth::channel`).
pub const CONTAINER_TOKEN_PREFIX: &str = "avc_";
/// What refresh tokens start with.
pub const REFRESH_TOKEN_PREFIX: &str = "rft_";

/// A new secret with `prefix`: the prefix and 64 hex digits.
pub fn generate(prefix: &str) -> String {
    let bytes: [u8; 32] = rand::rng().random();
    let mut token = String::with_capacity(prefix.len() + 64);
    token.push_str(prefix);
    token.push_str(&hex(&bytes));
    token
}

/// The stored form of a secret: SHA-256, hex.
pub fn hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_prefixed_and_hash_stably() {
        // Two tokens differ, carry their prefix, and hash to the same value every time.
        let a = generate(AGENT_TOKEN_PREFIX);
        let b = generate(AGENT_TOKEN_PREFIX);
        assert_ne!(a, b);
        assert!(a.starts_with("avt_") && a.len() == 68);
        assert_eq!(hash(&a), hash(&a));
        assert_ne!(hash(&a), hash(&b));
        assert_eq!(hash(&a).len(), 64);
    }
}
