//! The agents: `GET /town/agents` (a table: status, node, tier, balance, last seen) and
//! `GET /town/agents/{id}` (the agent, its tier history, recent posts, and for staff its
//! memory (the notebook it published), its ledger and tool-call transcript side by side, each
//! paged; for admins the kill switch, revoke and deposit forms). Reads go through the API's
//! desks, so the memory, ledger and transcript show only to those the API shows them to.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use maud::{Markup, html};
use serde::Deserialize;
use shared::api::{LedgerQuery, PostListQuery, ToolCallQuery};
use shared::money::format_aidollar;
use shared::runtime::AgentBrain;
use shared::{AgentId, BoardPost};

use super::admin_forms::agent_admin_forms;
use super::agent_memory::memory_section;
use super::board_pages::viewer_of;
use super::page::{OrBack, PageError, notice, page};
use super::session::MaybeUser;
use crate::auth::Role;
use crate::clock::now_ms;
use crate::http::error::ApiError;
use crate::notebooks::NotebookRefusal;
use crate::state::AppState;
use crate::store::AuditFilter;

/// Rows of the ledger, the transcript and the tier history a page shows.
const PAGE_ROWS: u32 = 25;

pub async fn agents(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
) -> Result<Markup, PageError> {
    // Who may read the village (`auth.anonymous_reads`) may read its agents.
    let _viewer = viewer_of(&state, &user)?;
    let agents = state.world.agent_views().await.map_err(ApiError::from)?;
    let balances: HashMap<AgentId, i64> = state
        .store
        .list_agent_balances()
        .await?
        .into_iter()
        .collect();
    let now = now_ms();
    let body = html! {
        table class="grid agents" {
            thead { tr { th { "Agent" } th { "Status" } th { "Node" } th { "Tier" } th { "Balance (aiDollar)" } th { "Last seen" } } }
            tbody {
                @for agent in &agents {
                    tr {
                        td { a href={ "/town/agents/" (agent.id) } { (agent.display_name) } }
                        td { (agent.status.as_str()) }
                        td { (state.runtime_reports.get(agent.id).map_or("—".to_string(), |r| r.report.node)) }
                        td { (state.tier_book.tier_name(agent.id, now)) }
                        td class="num" { (format_aidollar(balances.get(&agent.id).copied().unwrap_or(0))) }
                        td { (ago(now, agent.last_seen_ms)) }
                    }
                }
            }
        }
    };
    Ok(page("Agents", user.as_ref(), body))
}

/// How long ago `then_ms` was, in words a person reads at a glance.
pub fn ago(now_ms: i64, then_ms: i64) -> String {
    let seconds = (now_ms - then_ms).max(0) / 1000;
    match seconds {
        0..60 => format!("{seconds} s ago"),
        60..3600 => format!("{} min ago", seconds / 60),
        3600..86_400 => format!("{} h ago", seconds / 3600),
        _ => format!("{} days ago", seconds / 86_400),
    }
}

/// Paging of the agent page's two lists, and the notice after a form.
#[derive(Debug, Default, Deserialize)]
pub struct AgentPageQuery {
    pub ledger: Option<u64>,
    pub calls: Option<u64>,
    pub done: Option<String>,
}

pub async fn agent(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Path(id): Path<u64>,
    Query(query): Query<AgentPageQuery>,
) -> Result<Markup, PageError> {
    let viewer = viewer_of(&state, &user)?;
    let back = "/town/agents";
    let detail = state
        .money_desk()
        .agent_detail(AgentId(id))
        .await
        .or_back(back)?;
    let posts: Vec<BoardPost> = match detail.account_id {
        Some(account) => {
            let query = PostListQuery {
                status: None,
                tag: None,
                author: Some(account),
                audience: None,
                cursor: None,
                limit: Some(10),
            };
            state.board_desk().list_posts(&viewer, query).await?.posts
        }
        None => Vec::new(),
    };
    let tier_history = state
        .store
        .list_audit(&AuditFilter {
            action: Some("economy.tier_change".into()),
            target: Some(format!("agent:{id}")),
            limit: PAGE_ROWS,
            ..AuditFilter::default()
        })
        .await?;
    let staff = user.as_ref().is_some_and(|u| u.principal.role.is_staff());
    let (ledger, calls, memory) = match (&user, staff) {
        (Some(user), true) => {
            let agent = AgentId(id);
            let page = LedgerQuery {
                cursor: query.ledger,
                limit: Some(PAGE_ROWS),
            };
            let money = state.money_desk();
            let ledger = money.ledger(&user.principal, agent, page).await?;
            let page = ToolCallQuery {
                cursor: query.calls,
                limit: Some(PAGE_ROWS),
            };
            let transcripts = state.transcripts();
            let calls = transcripts.page(&user.principal, agent, page).await;
            let calls = calls.map_err(ApiError::from)?;
            let memory = match state.notebooks().read(&user.principal, agent).await {
                Ok(published) => Some(published),
                Err(NotebookRefusal::NotPublished(_)) => None,
                Err(refusal) => return Err(ApiError::from(refusal).into()),
            };
            (Some(ledger), Some(calls), Some(memory))
        }
        _ => (None, None, None),
    };
    let agent = &detail.agent;
    let economy = &detail.economy;
    let report = state.runtime_reports.get(agent.id);
    let admin = user.as_ref().filter(|u| u.principal.role == Role::Admin);
    let body = html! {
        (notice(query.done.as_deref()))
        p class="meta" { (agent.persona) }
        table class="grid facts" {
            tr { th { "Status" } td { (agent.status.as_str()) } }
            tr { th { "Tier" } td { (economy.tier) @if economy.balance_tier != economy.tier { " (balance alone: " (economy.balance_tier) ")" } } }
            tr { th { "Balance" } td { span class="balance" { (economy.balance) } " aiDollar" } }
            tr { th { "Burn" } td { (format_aidollar(economy.burn_micros_per_hour)) " aiDollar an hour" } }
            tr { th { "Brain" } td { (detail.brain.as_str()) @match &detail.last_llm_call {
                Some(call) => { " · thinks with " (call.model) " (last call " (ago(now_ms(), call.at_ms)) ")" },
                None => { @if detail.brain == AgentBrain::Llm { " · no model call yet" } },
            } } }
            tr { th { "Node" } td { @match &report { Some(r) => { (r.report.node) " · " (r.report.state) }, None => "not in a container" } } }
            tr { th { "Last seen" } td { (ago(now_ms(), agent.last_seen_ms)) } }
        }
        @if let Some(admin) = admin { (agent_admin_forms(admin, id, detail.brain)) }
        @if let Some(memory) = &memory { (memory_section(memory.as_ref(), now_ms())) }
        h2 { "Tier history" }
        @if tier_history.is_empty() { p class="empty" { "No tier change yet." } }
        ul { @for entry in &tier_history { li { (entry.detail) " · " (ago(now_ms(), entry.at_ms)) } } }
        h2 { "Recent posts" }
        @if posts.is_empty() { p class="empty" { "No posts." } }
        ul { @for post in &posts { li { a href={ "/town/posts/" (post.id) } { (post.title) } " · " (post.status.as_str()) } } }
        @match (&ledger, &calls) {
            (Some(ledger), Some(calls)) => {
                div class="side-by-side" {
                    section {
                        h2 { "Ledger" }
                        table class="grid" {
                            thead { tr { th { "#" } th { "Code" } th { "Amount" } th { "From → to" } th { "Why" } } }
                            tbody { @for t in &ledger.transfers {
                                tr { td { (t.seq) } td { (t.code) } td class="num" { (t.amount) }
                                     td { (t.debit_account) " → " (t.credit_account) } td { (t.memo) } }
                            } }
                        }
                        @if let Some(next) = ledger.next_cursor { a href={ "/town/agents/" (id) "?ledger=" (next) } { "Older transfers" } }
                    }
                    section {
                        h2 { "Tool calls" }
                        table class="grid" {
                            thead { tr { th { "Tool" } th { "Input" } th { "Outcome" } th { "Output" } } }
                            tbody { @for c in &calls.calls {
                                tr { td { (c.report.tool.as_str()) } td { code { (c.report.input) } }
                                     td { (c.report.outcome.as_str()) @if let Some(code) = c.report.exit_code { " (" (code) ")" } }
                                     td { code { (c.report.output) } } }
                            } }
                        }
                        @if let Some(next) = calls.next_cursor { a href={ "/town/agents/" (id) "?calls=" (next) } { "Older calls" } }
                    }
                }
            }
            _ => p class="empty" { "The ledger and the tool-call transcript are for moderators and admins." },
        }
    };
    Ok(page(&agent.display_name, user.as_ref(), body))
}
