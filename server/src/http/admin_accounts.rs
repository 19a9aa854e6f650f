//! `POST /admin/accounts` (an account with any role but `agent`),
//! `POST /admin/accounts/{id}/role`, and `GET /admin/audit`: each parses, calls
//! `auth::accounts_admin` (a role change under the credential lock) and answers. Admins only.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use shared::api::AuditQuery;
use utoipa::ToSchema;

use super::auth_routes::AccountCreated;
use super::credential_change::credential_change;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery};
use crate::auth::accounts_admin::AccountAdminError;
use crate::auth::password::PasswordError;
use crate::auth::{Principal, Role};
use crate::state::AppState;

pub use crate::auth::accounts_admin::{AUDIT_PAGE_MAX, AuditPage};

/// A person's account with a role.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAccountRequest {
    /// 3 to 32 letters, digits, `_`, `-` or `.`, not starting with `agent-` (kept without case
    /// for uniqueness).
    #[schema(min_length = 3, max_length = 32, pattern = "^[A-Za-z0-9_.-]{3,32}$")]
    pub username: String,
    /// 10 to 128 characters.
    #[schema(min_length = 10, max_length = 128)]
    pub password: String,
    /// `admin`, `moderator`, `human` or `runtime` (agents are made with `POST /admin/agents`).
    pub role: Role,
}

/// A new role.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleRequest {
    pub role: Role,
}

/// Creates an account with a role.
#[utoipa::path(post, path = "/admin/accounts", tag = "admin", request_body = CreateAccountRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = AccountCreated),
        (status = 403, description = "Not an admin (`forbidden_role`)", body = ErrorBody),
        (status = 409, description = "Username taken (`conflict`)", body = ErrorBody),
        (status = 422, description = "A bad username or password, the role `agent` (`invalid_username`, `invalid_password`, `invalid_role`), or a username refused by the compliance guard (`compliance_blocked`)", body = ErrorBody)))]
pub async fn create_account(
    principal: Principal,
    State(state): State<AppState>,
    ApiJson(request): ApiJson<CreateAccountRequest>,
) -> Result<(StatusCode, Json<AccountCreated>), ApiError> {
    let record = state
        .account_desk()
        .create_account(
            &principal,
            &request.username,
            request.password,
            request.role,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(AccountCreated {
            account_id: record.id.0,
            username: record.username,
            role: request.role,
        }),
    ))
}

/// The account's new role.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoleChanged {
    pub account_id: u64,
    pub role: Role,
}

/// Changes a person's role. Their sessions end (their tokens carry the old role).
#[utoipa::path(post, path = "/admin/accounts/{id}/role", tag = "admin", request_body = RoleRequest,
    params(("id" = u64, Path, description = "Account id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Changed", body = RoleChanged),
        (status = 403, description = "Not an admin (`forbidden_role`)", body = ErrorBody),
        (status = 404, description = "No such person's account (`unknown_account`)", body = ErrorBody),
        (status = 409, description = "The last admin cannot lose the role (`last_admin`)", body = ErrorBody),
        (status = 422, description = "Agent is not a role to give (`invalid_role`)", body = ErrorBody)))]
pub async fn set_role(
    principal: Principal,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<u64>,
    ApiJson(request): ApiJson<RoleRequest>,
) -> Result<Json<RoleChanged>, ApiError> {
    let order = state
        .account_desk()
        .order_role(&principal, id, request.role)?;
    credential_change(&state, move |state| async move {
        Ok(state.account_desk().set_role(order).await?)
    })
    .await?;
    Ok(Json(RoleChanged {
        account_id: id,
        role: request.role,
    }))
}

/// Reads the audit log.
#[utoipa::path(get, path = "/admin/audit", tag = "admin", params(AuditQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page, newest first", body = AuditPage),
        (status = 403, description = "Not an admin (`forbidden_role`)", body = ErrorBody)))]
pub async fn audit_log(
    principal: Principal,
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<AuditQuery>,
) -> Result<Json<AuditPage>, ApiError> {
    let desk = state.account_desk();
    Ok(Json(desk.audit_log(&principal, params).await?))
}

impl From<AccountAdminError> for ApiError {
    fn from(error: AccountAdminError) -> Self {
        let message = error.to_string();
        match error {
            AccountAdminError::Access(error) => error.into(),
            AccountAdminError::Username(_) => Self::unprocessable("invalid_username", message),
            AccountAdminError::Password(PasswordError::Length) => {
                Self::unprocessable("invalid_password", message)
            }
            AccountAdminError::Password(error @ PasswordError::Hash(_)) => Self::internal(error),
            // The API names the route that makes agents (with their accounts).
            AccountAdminError::AgentAccount => Self::unprocessable(
                "invalid_role",
                "agent accounts are made with POST /admin/agents",
            ),
            AccountAdminError::AgentRole => Self::unprocessable("invalid_role", message),
            AccountAdminError::UnknownAccount(_) | AccountAdminError::NotAPerson(_) => {
                Self::not_found("unknown_account", message)
            }
            AccountAdminError::LastAdmin => Self::conflict("last_admin", message),
            AccountAdminError::Refused(refusal) => refusal.into(),
            AccountAdminError::Store(error) => error.into(),
        }
    }
}
