//! Signing in: `POST /auth/register` and `POST /auth/login` take a username and password,
//! `POST /auth/login` and `POST /auth/refresh` answer with tokens, and an agent's fresh token
//! (`POST /admin/agents/{id}/token`, `POST /runtime/agents/{id}/token`).

use serde::{Deserialize, Serialize};

use crate::ids::AgentId;

/// A username and password.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// 3 to 32 letters, digits, `_`, `-` or `.`; `agent-` starts only agents' names. Signing
    /// in ignores case.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 3, max_length = 32, pattern = "^[A-Za-z0-9_.-]{3,32}$")
    )]
    pub username: String,
    /// 10 to 128 characters.
    #[cfg_attr(feature = "openapi", schema(min_length = 10, max_length = 128))]
    pub password: String,
}

/// Never prints the password.
impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// Tokens for a signed-in session.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenResponse {
    /// A JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds the access token lives.
    pub expires_in: u64,
    /// Trade it at `POST /auth/refresh` for new tokens; each refresh token works once.
    pub refresh_token: String,
    /// Seconds the session (and so the refresh token) has left; refreshing does not extend it.
    pub refresh_expires_in: u64,
}

/// Never prints the tokens.
impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

/// A refresh token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// An agent's new token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentToken {
    pub agent_id: AgentId,
    /// Shown only here; the previous token stops working.
    pub token: String,
}

/// Never prints the token.
impl std::fmt::Debug for AgentToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentToken")
            .field("agent_id", &self.agent_id)
            .finish_non_exhaustive()
    }
}
