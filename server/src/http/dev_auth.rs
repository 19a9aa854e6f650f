//! The stop-gap write guard until accounts exist: a write must come from a loopback peer and
//! carry `Authorization: Bearer <dev token>`.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};

use super::error::ApiError;
use crate::state::AppState;

/// Proof that a request may write. Add it to a handler's arguments.
pub struct DevWriter;

impl FromRequestParts<AppState> for DevWriter {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| *addr);
        // `to_canonical` turns an IPv4-mapped `::ffff:127.0.0.1` (a dual-stack listener) into 127.0.0.1.
        if !peer.is_some_and(|addr| addr.ip().to_canonical().is_loopback()) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "loopback_only",
                "writes are accepted only from loopback until accounts exist",
            ));
        }
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        match token {
            Some(token) if constant_time_eq(token.as_bytes(), state.dev_token.as_bytes()) => {
                Ok(DevWriter)
            }
            Some(_) => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "bad_token",
                "the dev token is wrong",
            )),
            None => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "missing_token",
                "writes need `Authorization: Bearer <dev token>` (see the README)",
            )),
        }
    }
}

/// Compares without an early exit, so timing does not reveal how much of a guess was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
