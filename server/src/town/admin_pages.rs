//! The admin panel: `GET /town/admin` (create agents, accounts and their roles) with
//! `POST /town/admin/agents` (the new agent's token, shown once), `POST /town/admin/accounts`
//! and `POST /town/admin/accounts/{id}/role`; and `GET /town/admin/audit`, the audit log with
//! filters. Admins only: each page checks the role, each form calls the same `auth` functions
//! as the API's admin routes (the commits under the credential lock, as there).

use axum::extract::{Path, Query, State};
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;
use shared::AccountId;
use shared::api::AuditQuery;

use super::board_pages::set;
use super::page::{OrBack, PageError, csrf_field, notice, page, see_other};
use super::post_page::Done;
use super::session::{SignedForm, SignedIn, WebUser};
use crate::auth::Role;
use crate::auth::agents_admin::AgentDraft;
use crate::http::credential_change::credential_change;
use crate::state::AppState;

/// Accounts the panel lists.
const ACCOUNTS_LISTED_MAX: u32 = 500;

/// The roles an admin may give a person's account.
const PERSON_ROLES: [&str; 4] = ["human", "moderator", "admin", "runtime"];

fn require_admin(user: &WebUser) -> Result<(), PageError> {
    Ok(user.principal.require(&[Role::Admin])?)
}

pub async fn panel(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    Query(done): Query<Done>,
) -> Result<Markup, PageError> {
    require_admin(&user)?;
    let accounts = state
        .store
        .list_people_accounts(0, ACCOUNTS_LISTED_MAX)
        .await?;
    let body = html! {
        (notice(done.done.as_deref()))
        p { a href="/town/admin/audit" { "The audit log" } " · " a href="/town/moderation" { "The moderation queue" } " · " a href="/town/agents" { "Agents (kill switch, deposits, revoke: on each agent's page)" } }
        h2 { "Create an agent" }
        form method="post" action="/town/admin/agents" class="card" {
            (csrf_field(&user))
            label { "Name" input name="display_name" required maxlength="40"; }
            label { "Persona" textarea name="persona" rows="2" {} }
            label { "Home (a landmark of kind home, optional)" input name="home"; }
            label { "Brain" select name="brain" { option value="llm" selected { "llm (the model; rules when none answers)" } option value="scripted" { "scripted" } } }
            button type="submit" { "Create agent" }
        }
        h2 { "Accounts" }
        table class="grid accounts" {
            thead { tr { th { "#" } th { "Username" } th { "Role" } th { "State" } th { "Change role" } } }
            tbody {
                @for account in &accounts {
                    tr {
                        td { (account.id) } td { (account.username) } td { (account.role) }
                        td { @if account.revoked_at_ms.is_some() { "revoked" } @else { "active" } }
                        td {
                            form method="post" action={ "/town/admin/accounts/" (account.id) "/role" } class="inline" {
                                (csrf_field(&user))
                                select name="role" {
                                    @for role in PERSON_ROLES { option value=(role) selected[account.role == role] { (role) } }
                                }
                                button type="submit" { "Set" }
                            }
                        }
                    }
                }
            }
        }
        h2 { "Create an account" }
        form method="post" action="/town/admin/accounts" class="card" {
            (csrf_field(&user))
            label { "Username" input name="username" required maxlength="32"; }
            label { "Password" input name="password" type="password" required autocomplete="new-password"; }
            label { "Role" select name="role" { @for role in PERSON_ROLES { option value=(role) { (role) } } } }
            button type="submit" { "Create account" }
        }
    };
    Ok(page("Admin", Some(&user), body))
}

/// The create-agent form.
#[derive(Debug, Deserialize)]
pub struct AgentForm {
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub persona: String,
    #[serde(default)]
    pub home: String,
    pub brain: Option<shared::runtime::AgentBrain>,
}

pub async fn create_agent(
    State(state): State<AppState>,
    SignedForm { user, form }: SignedForm<AgentForm>,
) -> Result<Markup, PageError> {
    let draft = AgentDraft {
        display_name: form.display_name,
        persona: Some(form.persona).filter(|p| !p.trim().is_empty()),
        home: Some(form.home.trim().to_string()).filter(|h| !h.is_empty()),
        brain: form.brain,
    };
    let order = state
        .agent_desk()
        .order_agent(&user.principal, draft)
        .await
        .or_back("/town/admin")?;
    let created = credential_change(&state, move |state| async move {
        Ok(state.agent_desk().create_agent(order).await?)
    })
    .await
    .or_back("/town/admin")?;
    let id = created.agent.id;
    let body = html! {
        p class="notice" role="status" { "Agent " (created.agent.display_name) " (#" (id) ") was created." }
        p { "Its token is shown only now; the village keeps only its hash. Hand it to the agent's container, or let the runtime issue its own." }
        p { code class="token" { (created.token) } }
        p { a href={ "/town/agents/" (id) } { "The agent's page" } " · " a href="/town/admin" { "Back to the panel" } }
    };
    Ok(page("Agent created", Some(&user), body))
}

/// The create-account form.
#[derive(Debug, Deserialize)]
pub struct AccountForm {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: String,
    pub role: Role,
}

pub async fn create_account(
    State(state): State<AppState>,
    SignedForm { user, form }: SignedForm<AccountForm>,
) -> Result<Response, PageError> {
    let _created = state
        .account_desk()
        .create_account(&user.principal, &form.username, form.password, form.role)
        .await
        .or_back("/town/admin")?;
    Ok(see_other("/town/admin?done=account_created"))
}

/// The role form.
#[derive(Debug, Deserialize)]
pub struct RoleForm {
    pub role: Role,
}

pub async fn set_role(
    State(state): State<AppState>,
    Path(id): Path<u64>,
    SignedForm { user, form }: SignedForm<RoleForm>,
) -> Result<Response, PageError> {
    let order = state
        .account_desk()
        .order_role(&user.principal, id, form.role)
        .or_back("/town/admin")?;
    credential_change(&state, move |state| async move {
        Ok(state.account_desk().set_role(order).await?)
    })
    .await
    .or_back("/town/admin")?;
    Ok(see_other("/town/admin?done=role_set"))
}

/// The audit log's filters as the page's query string carries them.
#[derive(Debug, Default, Deserialize)]
pub struct AuditFilters {
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub target: String,
    #[serde(default)]
    pub outcome: String,
    pub cursor: Option<u64>,
}

pub async fn audit(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    Query(filters): Query<AuditFilters>,
) -> Result<Markup, PageError> {
    require_admin(&user)?;
    let invalid = || {
        PageError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "the actor is an account number",
        )
        .back("/town/admin/audit")
    };
    let search = AuditQuery {
        actor: set(&filters.actor)
            .map(|a| a.parse().map(AccountId))
            .transpose()
            .map_err(|_| invalid())?,
        action: set(&filters.action),
        target: set(&filters.target),
        outcome: set(&filters.outcome),
        cursor: filters.cursor,
        limit: Some(100),
    };
    let page_of = state
        .account_desk()
        .audit_log(&user.principal, search)
        .await
        .or_back("/town/admin/audit")?;
    let body = html! {
        form method="get" action="/town/admin/audit" class="filters" {
            label { "Actor (account) " input name="actor" value=(filters.actor) inputmode="numeric"; }
            label { "Action " input name="action" value=(filters.action) placeholder="board.post"; }
            label { "Target " input name="target" value=(filters.target) placeholder="post:3"; }
            label { "Outcome " select name="outcome" {
                option value="" { "any" }
                @for outcome in ["ok", "denied", "failed"] { option value=(outcome) selected[filters.outcome == outcome] { (outcome) } }
            } }
            button type="submit" { "Filter" }
        }
        table class="grid audit" {
            thead { tr { th { "#" } th { "When (ms)" } th { "Actor" } th { "Action" } th { "Target" } th { "Outcome" } th { "Detail" } } }
            tbody { @for e in &page_of.entries {
                tr { td { (e.id) } td { (e.at_ms) } td { (e.actor_role) @if let Some(a) = e.actor_account_id { " #" (a) } }
                     td { (e.action) } td { (e.target) } td { (e.outcome) } td { (e.detail) } }
            } }
        }
        @if let Some(next) = page_of.next_cursor {
            p { a href={ "/town/admin/audit?cursor=" (next) } { "Older entries" } }
        }
    };
    Ok(page("Audit log", Some(&user), body))
}
