//! Every post, reply and chat message passes the compliance guard before it is stored. A
//! blocked text is refused (422 `compliance_blocked`, naming the rule); only its decisions
//! (target `refused:<action>`) and the refusal (audit outcome `denied`, with the rule and its
//! masked excerpt) are recorded. A text that may be stored carries its [`Screening`]: held or
//! labelled, and every decision, written with it in one transaction.

use std::time::Instant;

use crate::auth::Principal;
use crate::compliance::{Action, Submission, Verdict};
use crate::http::error::ApiError;
use crate::state::AppState;
use crate::store::{NewDecision, Screening};
use crate::world::now_ms;

/// What the guard said of a text that may be stored: what to store with it, and its findings
/// for the audit detail (empty when none fired).
pub struct Screened {
    pub screening: Screening,
    findings: String,
}

impl Screened {
    /// The stored text's audit detail: `base`, then the findings, if any.
    pub fn detail(&self, base: &str) -> String {
        match (base.is_empty(), self.findings.is_empty()) {
            (_, true) => base.to_string(),
            (true, false) => self.findings.clone(),
            (false, false) => format!("{base}; {}", self.findings),
        }
    }
}

/// Runs `title` and `body` by `principal` past the guard; `action` names the audit entry
/// (`board.post`, `board.reply`, `chat.message`) and `target` what it was for.
pub async fn screen(
    state: &AppState,
    principal: &Principal,
    action: &str,
    target: String,
    title: &str,
    body: &str,
) -> Result<Screened, ApiError> {
    let author = match principal.agent_id {
        Some(agent) => format!("agent:{agent}"),
        None => format!("account:{}", principal.account_id),
    };
    let verdict = state.guard.check(
        Submission {
            author: &author,
            title,
            body,
        },
        Instant::now(),
    );
    let findings = describe(&verdict);
    let decisions: Vec<NewDecision> = verdict
        .findings
        .iter()
        .map(|finding| NewDecision {
            rule: finding.rule.as_str().into(),
            action: finding.action.as_str(),
            excerpt: finding.excerpt.clone(),
        })
        .collect();
    if verdict.action != Action::Block {
        let labels = verdict
            .findings
            .iter()
            .filter(|finding| finding.action == Action::Label)
            .map(|finding| finding.rule.as_str().to_string())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let screening = Screening {
            held: verdict.action == Action::Hold,
            labels,
            decisions,
        };
        return Ok(Screened {
            screening,
            findings,
        });
    }
    let refused = format!("refused:{action}");
    if let Err(error) = state
        .store
        .insert_decisions(&decisions, &refused, principal.account_id, now_ms())
        .await
    {
        tracing::error!(%error, "could not record the decisions on a blocked text");
    }
    let deciding = verdict.deciding();
    let rule = deciding.map_or("", |finding| finding.rule.as_str());
    // `denied` like any refusal; the detail says which rule and what it saw (masked).
    let audit = principal.audit(action, target, "denied", format!("blocked; {findings}"));
    // The refusal stands even if it cannot be recorded.
    if let Err(error) = state.store.append_audit(&audit, now_ms()).await {
        tracing::error!(%error, "could not record a blocked text");
    }
    Err(ApiError::unprocessable(
        "compliance_blocked",
        format!(
            "refused by the village's compliance rule {rule}: {}",
            explanation(rule)
        ),
    ))
}

/// `compliance: email=hold ("ana.…"), link=hold (evil.example)`, or empty.
fn describe(verdict: &Verdict) -> String {
    if verdict.findings.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = verdict
        .findings
        .iter()
        .map(|finding| {
            format!(
                "{}={} ({})",
                finding.rule.as_str(),
                finding.action.as_str(),
                finding.excerpt
            )
        })
        .collect();
    format!("compliance: {}", parts.join(", "))
}

/// What the author is told, by rule (never the matched text itself).
fn explanation(rule: &str) -> &'static str {
    match rule {
        "card_number" => "it contains what looks like a payment card number",
        "api_key" | "private_key" | "jwt" => "it contains what looks like a secret key or token",
        "email" | "phone" => "it contains personal contact data",
        "banned_term" => "it contains a term the village does not allow",
        "link" => "it links to a site the village does not allow",
        "length" => "it is too long",
        "repetition" => "it repeats itself too much",
        "flooding" => "you are sending too many messages; wait a minute",
        _ => "see the village's rules",
    }
}
