//! Password hashing with argon2id (the crate's defaults: 19 MiB, 2 passes), off the async
//! threads because each hash takes tens of milliseconds on purpose.

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

/// Shortest password accepted.
pub const PASSWORD_CHARS_MIN: usize = 10;
/// Longest password accepted (argon2 takes any length; this bounds the work per request).
pub const PASSWORD_CHARS_MAX: usize = 128;

/// Why a password could not be hashed or checked.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("password must be {PASSWORD_CHARS_MIN} to {PASSWORD_CHARS_MAX} characters")]
    Length,
    #[error("password hashing failed: {0}")]
    Hash(String),
}

/// Checks the length rule.
pub fn check_password_rules(password: &str) -> Result<(), PasswordError> {
    let chars = password.chars().count();
    if (PASSWORD_CHARS_MIN..=PASSWORD_CHARS_MAX).contains(&chars) {
        Ok(())
    } else {
        Err(PasswordError::Length)
    }
}

/// Hashes a password into a PHC string (algorithm, parameters and salt included).
pub async fn hash_password(password: String) -> Result<String, PasswordError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| PasswordError::Hash(e.to_string()))
    })
    .await
    .map_err(|e| PasswordError::Hash(e.to_string()))?
}

/// Whether `password` matches the PHC string `hash`. A malformed hash never matches.
pub async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A hash to check a password against when the username does not exist, so that a miss costs
/// one verification, as a wrong password does (no user enumeration by timing). Made once at
/// start-up from a random password (nobody knows it), with the same parameters as real hashes.
/// A match against it is never accepted anyway (see the login handler).
pub async fn dummy_hash() -> Result<String, PasswordError> {
    hash_password(super::secret_token::generate("dummy_")).await
}
