//! The `auth` section of the server's settings: signing keys, token and session lifetimes,
//! who may read and register, and the rate limits. Owned here, composed into
//! `config::Settings` at the top, so nothing in `auth` reads the whole configuration.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One HS256 signing key: its id (the token header's `kid`) and its secret (at least 32 bytes).
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtKeySetting {
    pub kid: String,
    pub secret: String,
}

/// Accounts, tokens and rate limits.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthSettings {
    /// Keys access tokens are accepted under. Remove a key to retire it: every token it signed
    /// stops working. When empty, one key is generated into `<data_dir>/jwt-key`.
    pub jwt_keys: Vec<JwtKeySetting>,
    /// The key new tokens are signed with (default: the last of `jwt_keys`).
    pub jwt_active_kid: Option<String>,
    /// Lifetime of an access token.
    pub access_token_ttl_s: u64,
    /// Lifetime of a login session (its refresh token).
    pub refresh_token_ttl_s: u64,
    /// Lifetime of a town hall browser session (its cookie); signing in again starts a new one.
    pub web_session_ttl_s: u64,
    /// Mark the town hall's cookies `Secure`: set it when the village is served over TLS (a
    /// TLS proxy in front), so browsers never send them in clear.
    pub secure_cookies: bool,
    /// Whether the world, the board and the streams may be read without signing in.
    pub anonymous_reads: bool,
    /// Whether anyone may create a `human` account with `POST /auth/register`.
    pub open_registration: bool,
    pub login_attempts_per_minute_per_account: u32,
    pub login_attempts_per_minute_per_ip: u32,
    /// Accounts one address (IPv6 by /64) may register per day, on top of the per-minute
    /// sign-in limit they share: puppet accounts cost an address each.
    pub registrations_per_day_per_ip: u32,
    /// Sustained writes (non-GET requests) per second per account, and the burst above it.
    pub writes_per_second_per_account: u32,
    pub write_burst_per_account: u32,
    /// Requests per minute (any method) from one signed-in person's account, and the burst;
    /// agents are limited by their compute tier instead.
    pub requests_per_minute_per_account: u32,
    pub request_burst_per_account: u32,
    /// Requests per minute from one address without a token (IPv6 by /64), and the burst.
    pub anonymous_requests_per_minute_per_ip: u32,
    pub anonymous_request_burst_per_ip: u32,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            jwt_keys: Vec::new(),
            jwt_active_kid: None,
            access_token_ttl_s: 15 * 60,
            refresh_token_ttl_s: 30 * 24 * 3600,
            web_session_ttl_s: 12 * 3600,
            secure_cookies: false,
            anonymous_reads: true,
            open_registration: true,
            login_attempts_per_minute_per_account: 5,
            login_attempts_per_minute_per_ip: 30,
            registrations_per_day_per_ip: 10,
            writes_per_second_per_account: 20,
            write_burst_per_account: 40,
            requests_per_minute_per_account: 1_200,
            request_burst_per_account: 300,
            anonymous_requests_per_minute_per_ip: 600,
            anonymous_request_burst_per_ip: 120,
        }
    }
}

impl fmt::Debug for AuthSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kids: Vec<&str> = self.jwt_keys.iter().map(|k| k.kid.as_str()).collect();
        f.debug_struct("AuthSettings")
            .field("jwt_keys", &format_args!("{kids:?} (secrets redacted)"))
            .field("jwt_active_kid", &self.jwt_active_kid)
            .field("access_token_ttl_s", &self.access_token_ttl_s)
            .field("refresh_token_ttl_s", &self.refresh_token_ttl_s)
            .field("web_session_ttl_s", &self.web_session_ttl_s)
            .field("secure_cookies", &self.secure_cookies)
            .field("anonymous_reads", &self.anonymous_reads)
            .field("open_registration", &self.open_registration)
            .finish_non_exhaustive()
    }
}
