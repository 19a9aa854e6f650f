//! Who is calling and what they may do: roles, passwords (argon2), access tokens (JWT, HS256,
//! keys named by `kid`), agent tokens (opaque, stored as hashes), the in-memory revocation
//! lists every request is checked against, and the login and write rate limits.
//!
//! Handlers never parse headers themselves: they take a [`Principal`] (a caller must be signed
//! in) or a [`Viewer`] (anonymous allowed) and ask it what the caller may do.

pub mod accounts_admin;
pub mod agent_brain;
pub mod agent_control;
pub mod agents_admin;
pub mod channel;
pub mod credentials;
pub mod jwt;
pub mod key_file;
pub mod password;
pub mod principal;
pub mod rate_limits;
pub mod role;
pub mod secret_token;
pub mod settings;
pub mod sign_in;
pub mod username_rule;

pub use channel::Channel;
pub use credentials::Credentials;
pub use jwt::{AccessClaims, JwtKeys};
pub use principal::{Principal, Viewer};
pub use rate_limits::RateLimits;
pub use role::Role;
