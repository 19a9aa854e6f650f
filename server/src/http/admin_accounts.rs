//! `POST /admin/accounts` (an account with any role but `agent`),
//! `POST /admin/accounts/{id}/role`, and `GET /admin/audit`. Admins only.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth_routes::{AccountCreated, check_username, checked_password_hash};
use super::credential_change::credential_change;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery};
use crate::paging::next_cursor;
use crate::auth::{Principal, Role};
use crate::board::screen::screen_shown;
use crate::clock::now_ms;
use crate::state::AppState;
use crate::store::{AccountRecord, AuditEntry, AuditFilter, AuditRecord, NewAccount, Store};

/// Largest page of `GET /admin/audit`.
pub const AUDIT_PAGE_MAX: u32 = 500;

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

/// Creates a password account after checking the name, the password and that the role is not
/// `agent`. Shared by the API and `village admin create`.
pub async fn create_password_account(
    store: &Store,
    username: &str,
    password: String,
    role: Role,
    audit: AuditEntry,
) -> Result<AccountRecord, ApiError> {
    if role == Role::Agent {
        return Err(ApiError::unprocessable(
            "invalid_role",
            "agent accounts are made with POST /admin/agents",
        ));
    }
    let username = check_username(username)?;
    let password_hash = checked_password_hash(password).await?;
    let account = NewAccount {
        username: username.clone(),
        role: role.as_str().into(),
        password_hash: Some(password_hash),
        token_hash: None,
        agent_id: None,
    };
    let audit = AuditEntry {
        detail: format!("username {username}, role {role}"),
        ..audit
    };
    Ok(store.insert_account(&account, &audit, now_ms()).await?)
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
    principal.require(&[Role::Admin])?;
    // The username is the name shown on everything its owner writes: no moderator holds it.
    let username = check_username(&request.username)?;
    screen_shown(
        state.screener(),
        &[("username", &username)],
        principal.audit(
            "admin.account_create",
            String::new(),
            "denied",
            String::new(),
        ),
    )
    .await?;
    let audit = principal.audit("admin.account_create", String::new(), "ok", String::new());
    let record = create_password_account(
        &state.store,
        &request.username,
        request.password,
        request.role,
        audit,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(AccountCreated {
            account_id: record.id,
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
    principal.require(&[Role::Admin])?;
    if request.role == Role::Agent {
        return Err(ApiError::unprocessable(
            "invalid_role",
            "the agent role belongs to agent accounts only",
        ));
    }
    let audit = principal.audit(
        "admin.role_change",
        format!("account:{id}"),
        "ok",
        format!("new role {}", request.role),
    );
    let role = request.role;
    // The last-admin check, the commit and the in-memory revocation happen together, and no
    // other credential change interleaves (two admins demoting each other included).
    credential_change(&state, move |state| async move {
        let target = state.store.find_account(id).await?.ok_or_else(|| {
            ApiError::not_found("unknown_account", format!("no account has id {id}"))
        })?;
        if target.role == role.as_str() {
            // Nothing changes, so no session ends (an admin saving its own role stays in).
            return Ok(());
        }
        if target.role == Role::Admin.as_str()
            && role != Role::Admin
            && target.revoked_at_ms.is_none()
            && state.store.count_admins().await? <= 1
        {
            return Err(ApiError::conflict(
                "last_admin",
                "this is the last admin; make another admin first",
            ));
        }
        let now = now_ms();
        let ended = state
            .store
            .set_account_role(id, role.as_str(), &audit, now)
            .await?
            .ok_or_else(|| {
                ApiError::not_found(
                    "unknown_account",
                    format!("no person's account has id {id}"),
                )
            })?;
        state.credentials.revoke_sessions(&ended, now);
        Ok(())
    })
    .await?;
    Ok(Json(RoleChanged {
        account_id: id,
        role: request.role,
    }))
}

/// Filters of the audit log.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    /// Account id of the actor.
    pub actor: Option<u64>,
    /// e.g. `board.post`, `auth.login`.
    pub action: Option<String>,
    /// e.g. `post:3`, `account:2`.
    pub target: Option<String>,
    /// `ok`, `denied` or `failed`.
    pub outcome: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<u64>,
    /// Entries per page (default 100, at most 500; larger asks get 500).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

/// A page of the audit log, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub entries: Vec<AuditRecord>,
    /// Pass as `cursor` for the next (older) page; absent on the last page.
    pub next_cursor: Option<u64>,
}

/// Reads the audit log.
#[utoipa::path(get, path = "/admin/audit", tag = "admin", params(AuditParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page, newest first", body = AuditPage),
        (status = 403, description = "Not an admin (`forbidden_role`)", body = ErrorBody)))]
pub async fn audit_log(
    principal: Principal,
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<AuditParams>,
) -> Result<Json<AuditPage>, ApiError> {
    principal.require(&[Role::Admin])?;
    let limit = params.limit.unwrap_or(100).clamp(1, AUDIT_PAGE_MAX);
    let filter = AuditFilter {
        actor_account_id: params.actor,
        action: params.action,
        target: params.target,
        outcome: params.outcome,
        before_id: params.cursor,
        limit,
    };
    let entries = state.store.list_audit(&filter).await?;
    let next_cursor = next_cursor(&entries, limit, |e| e.id);
    Ok(Json(AuditPage {
        entries,
        next_cursor,
    }))
}
