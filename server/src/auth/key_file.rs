//! Where the JWT keys come from: the settings, or, when none are configured, one key generated
//! on first start into `<data_dir>/jwt-key` (owner-readable only) and reused after.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use anyhow::Context;

use super::jwt::{JwtKeys, NamedKey};
use super::settings::AuthSettings;

/// The `kid` of a generated key.
const GENERATED_KID: &str = "local-1";

/// The key set the `auth` settings describe; a generated key lives in `data_dir`.
pub fn load_jwt_keys(auth: &AuthSettings, data_dir: &Path) -> anyhow::Result<JwtKeys> {
    let keys: Vec<NamedKey> = if auth.jwt_keys.is_empty() {
        let path = data_dir.join("jwt-key");
        vec![NamedKey {
            kid: GENERATED_KID.into(),
            secret: read_or_generate(&path)?.into_bytes(),
        }]
    } else {
        auth.jwt_keys
            .iter()
            .map(|k| NamedKey {
                kid: k.kid.clone(),
                secret: k.secret.clone().into_bytes(),
            })
            .collect()
    };
    let active = auth
        .jwt_active_kid
        .clone()
        .or_else(|| keys.last().map(|k| k.kid.clone()))
        .unwrap_or_default();
    JwtKeys::new(&keys, &active, auth.access_token_ttl_s).map_err(anyhow::Error::msg)
}

fn read_or_generate(path: &Path) -> anyhow::Result<String> {
    if let Ok(secret) = std::fs::read_to_string(path) {
        let secret = secret.trim().to_string();
        if secret.len() >= super::jwt::SECRET_BYTES_MIN {
            return Ok(secret);
        }
    }
    // 256 random bits as 64 hex digits, like every other secret the server makes.
    let secret = super::secret_token::generate("");
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    file.write_all(secret.as_bytes())?;
    tracing::info!(path = %path.display(), "generated a JWT signing key");
    Ok(secret)
}
