//! Access tokens: JWTs signed with HS256 under a named key (`kid` in the header). Tokens are
//! signed with the active key and accepted under any configured key; removing a key from the
//! configuration retires it, and every token it signed stops working.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::Role;

/// Who issues access tokens, and for whom (checked on every token).
const ISSUER: &str = "ai-village";
const AUDIENCE: &str = "ai-village-api";
/// Shortest HMAC secret accepted, in bytes (HS256's own output size).
pub const SECRET_BYTES_MIN: usize = 32;
/// Clock skew tolerated on `exp`, in seconds.
const LEEWAY_S: u64 = 5;

/// What an access token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// The account id, in decimal (JWT subjects are strings).
    pub sub: String,
    pub role: Role,
    /// The username, for logs and authorship.
    pub name: String,
    /// The session (login) the token belongs to; a logout ends it.
    pub sid: u64,
    pub iat: u64,
    pub exp: u64,
    pub iss: String,
    pub aud: String,
}

/// One signing key: its id and its secret.
#[derive(Clone)]
pub struct NamedKey {
    pub kid: String,
    pub secret: Vec<u8>,
}

/// Why a token was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("the token has expired")]
    Expired,
    #[error("the token was signed with a key that is retired or unknown")]
    UnknownKey,
    #[error("the token is not valid")]
    Invalid,
}

/// A verified token's claims and account id.
type Verified = (Arc<AccessClaims>, u64);

/// Tokens remembered as verified; past this many the memory is cleared and refills.
const VERIFIED_TOKENS_MAX: usize = 4096;

/// The configured keys.
pub struct JwtKeys {
    active_kid: String,
    encoding: EncodingKey,
    decoding: HashMap<String, DecodingKey>,
    validation: Validation,
    /// Lifetime of an access token, in seconds.
    pub access_ttl_s: u64,
    /// Tokens (the exact strings) this key set has verified, with their claims: a caller's
    /// next request skips the signature and JSON work. Sound because keys never change while
    /// the server runs and expiry is checked on every hit; revocation is checked by the caller
    /// after this, either way. A std lock held only for one lookup or insert.
    verified: Mutex<HashMap<Box<str>, Verified>>,
}

impl JwtKeys {
    /// Builds the key set; `active_kid` must name one of `keys`.
    pub fn new(keys: &[NamedKey], active_kid: &str, access_ttl_s: u64) -> Result<JwtKeys, String> {
        let active = keys
            .iter()
            .find(|k| k.kid == active_kid)
            .ok_or_else(|| format!("the active JWT key {active_kid:?} is not configured"))?;
        if let Some(short) = keys.iter().find(|k| k.secret.len() < SECRET_BYTES_MIN) {
            return Err(format!(
                "JWT key {:?} is shorter than {SECRET_BYTES_MIN} bytes",
                short.kid
            ));
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = LEEWAY_S;
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        Ok(JwtKeys {
            active_kid: active.kid.clone(),
            encoding: EncodingKey::from_secret(&active.secret),
            decoding: keys
                .iter()
                .map(|k| (k.kid.clone(), DecodingKey::from_secret(&k.secret)))
                .collect(),
            validation,
            access_ttl_s,
            verified: Mutex::new(HashMap::new()),
        })
    }

    /// Claims for a new access token of `account` in session `sid`, issued `now_s`.
    pub fn claims(
        &self,
        account: u64,
        role: Role,
        name: &str,
        sid: u64,
        now_s: u64,
    ) -> AccessClaims {
        AccessClaims {
            sub: account.to_string(),
            role,
            name: name.to_string(),
            sid,
            iat: now_s,
            exp: now_s + self.access_ttl_s,
            iss: ISSUER.to_string(),
            aud: AUDIENCE.to_string(),
        }
    }

    /// Signs `claims` with the active key.
    pub fn issue(&self, claims: &AccessClaims) -> Result<String, jsonwebtoken::errors::Error> {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.active_kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding)
    }

    /// Checks a token's key, signature, algorithm, issuer, audience and expiry; returns the
    /// claims and the account id.
    pub fn verify(&self, token: &str) -> Result<Verified, TokenError> {
        let now = jsonwebtoken::get_current_timestamp();
        if let Some((claims, account)) = self.remembered(token) {
            if claims.exp.saturating_add(LEEWAY_S) < now {
                return Err(TokenError::Expired);
            }
            return Ok((claims, account));
        }
        let (claims, account) = self.verify_signed(token)?;
        let verified = (Arc::new(claims), account);
        let mut remembered = self.verified.lock().unwrap_or_else(|e| e.into_inner());
        if remembered.len() >= VERIFIED_TOKENS_MAX {
            remembered.clear();
        }
        remembered.insert(token.into(), verified.clone());
        Ok(verified)
    }

    fn remembered(&self, token: &str) -> Option<Verified> {
        // A poisoned lock still holds whole entries (each write is one insert or clear).
        let remembered = self.verified.lock().unwrap_or_else(|e| e.into_inner());
        remembered.get(token).cloned()
    }

    /// The full check, without the memory of verified tokens.
    fn verify_signed(&self, token: &str) -> Result<(AccessClaims, u64), TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Invalid)?;
        let kid = header.kid.ok_or(TokenError::Invalid)?;
        let key = self.decoding.get(&kid).ok_or(TokenError::UnknownKey)?;
        let claims = jsonwebtoken::decode::<AccessClaims>(token, key, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })?;
        let account = claims.sub.parse().map_err(|_| TokenError::Invalid)?;
        Ok((claims, account))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(kid: &str, fill: u8) -> NamedKey {
        NamedKey {
            kid: kid.into(),
            secret: vec![fill; 32],
        }
    }

    fn now() -> u64 {
        jsonwebtoken::get_current_timestamp()
    }

    #[test]
    fn rotation_keeps_old_tokens_until_their_key_is_retired() {
        // A token from key a verifies while a is configured (even after b becomes active) and
        // fails once a is removed; forged and expired tokens fail.
        let a = JwtKeys::new(&[key("a", 1)], "a", 60).unwrap();
        let token = a.issue(&a.claims(7, Role::Human, "ada", 1, now())).unwrap();
        let both = JwtKeys::new(&[key("a", 1), key("b", 2)], "b", 60).unwrap();
        assert_eq!(both.verify(&token).unwrap().1, 7);
        let only_b = JwtKeys::new(&[key("b", 2)], "b", 60).unwrap();
        assert_eq!(only_b.verify(&token), Err(TokenError::UnknownKey));
        let forged = JwtKeys::new(&[key("a", 9)], "a", 60).unwrap();
        let forged_token = forged
            .issue(&forged.claims(1, Role::Admin, "x", 1, now()))
            .unwrap();
        assert_eq!(a.verify(&forged_token), Err(TokenError::Invalid));
        let old = a
            .issue(&a.claims(7, Role::Human, "ada", 1, now() - 3600))
            .unwrap();
        assert_eq!(a.verify(&old), Err(TokenError::Expired));
        assert_eq!(a.verify("not.a.token"), Err(TokenError::Invalid));
        // A remembered token is still checked for expiry and a tampered copy is not remembered.
        let short = JwtKeys::new(&[key("a", 1)], "a", 0).unwrap();
        let expiring = short
            .issue(&short.claims(7, Role::Human, "ada", 1, now() - 10))
            .unwrap();
        assert_eq!(short.verify(&expiring), Err(TokenError::Expired));
        let fresh = a.issue(&a.claims(8, Role::Human, "bo", 1, now())).unwrap();
        assert_eq!(a.verify(&fresh).unwrap().1, 8);
        assert_eq!(a.verify(&fresh).unwrap().1, 8);
        let mut tampered = fresh.clone();
        tampered.pop();
        assert_eq!(a.verify(&tampered), Err(TokenError::Invalid));
        assert!(JwtKeys::new(&[key("a", 1)], "b", 60).is_err());
        assert!(
            JwtKeys::new(
                &[NamedKey {
                    kid: "s".into(),
                    secret: vec![1; 8]
                }],
                "s",
                60
            )
            .is_err()
        );
    }
}
