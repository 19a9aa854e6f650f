//! `GET /runtime/changes`: the agent runtime's long poll. It answers at once when the version
//! of what the runtime should run differs from the one the launcher last saw, else when it
//! changes, else after the wait; the launcher then reads `GET /runtime/agents`
//! (`crate::runtime_changes`). Runtime accounts and admins only.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use shared::runtime::RuntimeVersion;
use utoipa::IntoParams;

use super::error::{ApiError, ErrorBody};
use super::extract::ApiQuery;
use crate::auth::{Principal, Role};
use crate::state::AppState;

/// The longest a caller may ask to wait, in ms.
pub const WAIT_MS_MAX: u64 = 30_000;
/// What the server keeps of its request time limit (`http.request_timeout_ms`) for answering
/// after a wait, in ms: a wait never runs into that limit.
const ANSWER_MARGIN_MS: u64 = 1_000;

/// What the launcher last saw, and how long it will wait.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ChangesQuery {
    /// The version of the previous answer; absent: answer at once with the current one.
    pub after: Option<u64>,
    /// How long to wait for a change, in ms (at most 30,000, and at most the server's request
    /// time limit less a second); absent: no wait.
    #[param(maximum = 30000)]
    pub wait_ms: Option<u64>,
}

/// The version of what the runtime should run, once it differs from `after`.
#[utoipa::path(get, path = "/runtime/changes", tag = "runtime",
    params(ChangesQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The version now: different from `after` when something changed, the same when the wait ended first", body = RuntimeVersion),
        (status = 403, description = "Not a runtime account or an admin (`forbidden_role`)", body = ErrorBody),
        (status = 422, description = "A wait over 30,000 ms (`invalid_field`)", body = ErrorBody)))]
pub async fn runtime_changes(
    principal: Principal,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ChangesQuery>,
) -> Result<Json<RuntimeVersion>, ApiError> {
    principal.require(&[Role::Runtime, Role::Admin])?;
    let wait_ms = query.wait_ms.unwrap_or(0);
    if wait_ms > WAIT_MS_MAX {
        return Err(ApiError::unprocessable(
            "invalid_field",
            format!("wait_ms {wait_ms} is over {WAIT_MS_MAX}"),
        ));
    }
    let changes = &state.runtime_changes;
    let Some(after) = query.after else {
        return Ok(Json(RuntimeVersion {
            version: changes.version(),
        }));
    };
    let limit_ms = state
        .settings
        .http
        .request_timeout_ms
        .saturating_sub(ANSWER_MARGIN_MS);
    let wait = Duration::from_millis(wait_ms.min(limit_ms));
    Ok(Json(RuntimeVersion {
        version: changes.after(after, wait).await,
    }))
}
