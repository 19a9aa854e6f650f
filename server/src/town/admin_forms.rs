//! An admin's forms on an agent's page and what they post to: its brain (`auth::agent_brain`),
//! the kill switch (pause, resume,
//! stop, kill, quarantine, freeze and unfreeze compute), which the runtime carries out, and
//! revoking the agent's token, both through the same `auth` functions as the API's admin
//! routes (the commits under the credential lock, as there); and crediting a deposit.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;
use shared::AgentId;
use shared::api::DepositRequest;
use shared::money::parse_aidollar;
use shared::runtime::AgentBrain;

use super::auth_pages::EmptyForm;
use super::page::{OrBack, PageError, csrf_field, see_other};
use super::session::{SignedForm, WebUser};
use crate::auth::agent_control::admin_order_applied;
use crate::http::credential_change::credential_change;
use crate::kill_switch::ControlAction;
use crate::state::AppState;

/// The forms an admin sees on agent `id`'s page, whose brain is `brain`.
pub fn agent_admin_forms(admin: &WebUser, id: u64, brain: AgentBrain) -> Markup {
    html! {
        h2 { "Admin" }
        form method="post" action={ "/town/admin/agents/" (id) "/brain" } class="card decision" {
            (csrf_field(admin))
            label { "Brain " select name="brain" {
                @for choice in [AgentBrain::Llm, AgentBrain::Scripted] {
                    option value=(choice.as_str()) selected[choice == brain] { (choice.as_str()) }
                }
            } }
            button type="submit" data-confirm="Switch its brain? Its container is replaced; its memory is kept." { "Switch brain" }
        }
        form method="post" action={ "/town/admin/agents/" (id) "/control" } class="card decision" {
            (csrf_field(admin))
            label { "Why " input name="reason" required maxlength="500"; }
            @for action in ["pause", "resume", "stop", "freeze", "unfreeze"] {
                button type="submit" name="action" value=(action) { (action) }
            }
            button type="submit" name="action" value="kill" data-confirm="Kill this agent's container now?" { "kill" }
            button type="submit" name="action" value="quarantine"
                data-confirm="Quarantine: kill it, replace its token, keep the container for review?" { "quarantine" }
        }
        form method="post" action={ "/town/admin/agents/" (id) "/deposit" } class="card decision" {
            (csrf_field(admin))
            label { "Deposit (aiDollar) " input name="amount" required inputmode="decimal" size="8"; }
            label { "PayPal transaction id " input name="paypal_txn_id" required maxlength="64"; }
            label { "Memo " input name="memo" maxlength="500"; }
            button type="submit" { "Credit deposit" }
        }
        form method="post" action={ "/town/admin/agents/" (id) "/revoke" } class="inline" {
            (csrf_field(admin))
            button type="submit" data-confirm="Revoke this agent's token? It stops working at once." { "Revoke token" }
        }
    }
}

/// The brain switch's form.
#[derive(Debug, Deserialize)]
pub struct BrainForm {
    pub brain: AgentBrain,
}

pub async fn brain(
    State(state): State<AppState>,
    Path(id): Path<u64>,
    SignedForm { user, form }: SignedForm<BrainForm>,
) -> Result<Response, PageError> {
    let back = format!("/town/agents/{id}");
    let desk = state.agent_desk();
    let _previous = desk
        .switch_brain(&user.principal, AgentId(id), form.brain)
        .await
        .or_back(back)?;
    Ok(agent_page(id, "brain"))
}

/// The kill switch's form.
#[derive(Debug, Deserialize)]
pub struct ControlForm {
    pub action: ControlAction,
    #[serde(default)]
    pub reason: String,
}

fn agent_page(id: u64, done: &str) -> Response {
    see_other(&format!("/town/agents/{id}?done={done}"))
}

pub async fn control(
    State(state): State<AppState>,
    Path(id): Path<u64>,
    SignedForm { user, form }: SignedForm<ControlForm>,
) -> Result<Response, PageError> {
    let back = format!("/town/agents/{id}");
    let (agent, action) = (AgentId(id), form.action);
    let desk = state.control_desk();
    let order = desk
        .order_control(&user.principal, agent, action, &form.reason)
        .await
        .or_back(&back)?;
    let applied = credential_change(&state, move |state| async move {
        Ok(state.control_desk().apply(order).await?)
    })
    .await
    .or_back(&back)?;
    let control = admin_order_applied(agent, action, applied).or_back(&back)?;
    // As the API's answer does, the agent's state is read back: an error page if it cannot be.
    let _view = desk.view(control).await.or_back(back)?;
    Ok(agent_page(id, "controlled"))
}

pub async fn revoke(
    State(state): State<AppState>,
    Path(id): Path<u64>,
    SignedForm { user, .. }: SignedForm<EmptyForm>,
) -> Result<Response, PageError> {
    let back = format!("/town/agents/{id}");
    let order = state
        .agent_desk()
        .order_revoke(&user.principal, id)
        .await
        .or_back(&back)?;
    let _revoked = credential_change(&state, move |state| async move {
        Ok(state.agent_desk().revoke(order).await?)
    })
    .await
    .or_back(back)?;
    Ok(agent_page(id, "revoked"))
}

/// The deposit form.
#[derive(Debug, Deserialize)]
pub struct DepositForm {
    #[serde(default)]
    pub amount: String,
    #[serde(default)]
    pub paypal_txn_id: String,
    #[serde(default)]
    pub memo: String,
}

pub async fn deposit(
    State(state): State<AppState>,
    Path(id): Path<u64>,
    SignedForm { user, form }: SignedForm<DepositForm>,
) -> Result<Response, PageError> {
    let back = format!("/town/agents/{id}");
    let amount_micros = parse_aidollar(form.amount.trim()).map_err(|e| {
        PageError::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()).back(back.clone())
    })?;
    let request = DepositRequest {
        agent_id: id,
        amount_micros,
        paypal_txn_id: form.paypal_txn_id.trim().to_string(),
        memo: form.memo,
    };
    let desk = state.money_desk();
    let _credited = desk.deposit(&user.principal, request).await.or_back(back)?;
    Ok(agent_page(id, "deposited"))
}
