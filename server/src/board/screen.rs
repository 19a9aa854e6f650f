//! Every text a person can see passes the compliance guard before it is stored or shown.
//! - Posts (title, body and tags), replies and chat messages ([`screen`]): a blocked text is
//!   refused (422 `compliance_blocked`, naming the rule); a text that may be stored carries
//!   its [`Screening`]: held or labelled, and every decision, written with it in one
//!   transaction.
//! - Texts shown at once that no moderator can hold back ([`screen_shown`]): an agent's
//!   speech and activity detail, names, chat titles. What a rule would hold is refused like
//!   what it would block; a label is let through.
//!
//! Of a refused text only its decisions (target `refused:<action>`) and the refusal (audit
//! outcome `denied`, with the rule and its masked excerpt) are recorded.

use std::time::Instant;

use crate::auth::Principal;
use crate::clock::now_ms;
use crate::compliance::{Action, Guard, Submission, Verdict};
use crate::store::{AuditEntry, NewDecision, Screening, Store};

/// The guard, and the store its decisions and refusals are recorded in.
#[derive(Clone, Copy)]
pub struct Screener<'a> {
    pub guard: &'a Guard,
    pub store: &'a Store,
}

/// A text the guard refused, with the words for its author (the transports answer 422
/// `compliance_blocked`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ComplianceRefusal(pub String);

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

/// Runs `title`, `body` and `tags` by `principal` past the guard; `action` names the audit
/// entry (`board.post`, `board.reply`, `chat.message`) and `target` what it was for.
pub async fn screen(
    state: Screener<'_>,
    principal: &Principal,
    action: &str,
    target: String,
    title: &str,
    body: &str,
    tags: &[String],
) -> Result<Screened, ComplianceRefusal> {
    let author = match principal.agent_id {
        Some(agent) => format!("agent:{agent}"),
        None => format!("account:{}", principal.account_id),
    };
    let verdict = state.guard.check(
        Submission {
            author: &author,
            title,
            body,
            tags,
        },
        Instant::now(),
    );
    let findings = describe(&verdict);
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
            decisions: decisions(&verdict),
        };
        return Ok(Screened {
            screening,
            findings,
        });
    }
    let audit = principal.audit(action, target, "denied", String::new());
    Err(refuse(state, &verdict, audit, None).await)
}

/// Runs `fields` (each a field's name and its text), shown at once and never held, past the
/// guard one by one; the first that a rule would hold or block is refused (422
/// `compliance_blocked`, naming the field and the rule) and recorded with `refusal` (its
/// action and target; its outcome and detail are filled in here). Flooding is not counted:
/// these are not messages.
pub async fn screen_shown(
    state: Screener<'_>,
    fields: &[(&str, &str)],
    refusal: AuditEntry,
) -> Result<(), ComplianceRefusal> {
    for (field, text) in fields {
        let verdict = state.guard.inspect(text);
        if verdict.action < Action::Hold {
            continue;
        }
        return Err(refuse(state, &verdict, refusal, Some(field)).await);
    }
    Ok(())
}

/// Records a refused text's decisions and the refusal `audit` (as `denied`, with what the
/// guard found), and answers 422 `compliance_blocked` naming the rule, and `field` when the
/// text was one field of several.
async fn refuse(
    state: Screener<'_>,
    verdict: &Verdict,
    audit: AuditEntry,
    field: Option<&str>,
) -> ComplianceRefusal {
    let refused = format!("refused:{}", audit.action);
    // An anonymous caller (signing up) has no account to file decisions under; the audit
    // entry still records the refusal.
    if let Some(author) = audit.actor_account_id
        && let Err(error) = state
            .store
            .insert_decisions(&decisions(verdict), &refused, author, now_ms())
            .await
    {
        tracing::error!(%error, "could not record the decisions on a refused text");
    }
    let deciding = verdict.deciding();
    let rule = deciding.map_or("", |finding| finding.rule.as_str());
    // `denied` like any refusal; the detail says which rule and what it saw (masked).
    let refusal = match verdict.action {
        Action::Block => "blocked",
        _ => "refused, not holdable",
    };
    let audit = AuditEntry {
        outcome: "denied",
        detail: format!("{refusal}; {}", describe(verdict)),
        ..audit
    };
    // The refusal stands even if it cannot be recorded.
    if let Err(error) = state.store.append_audit(&audit, now_ms()).await {
        tracing::error!(%error, "could not record a refused text");
    }
    let what = field.map_or_else(String::new, |field| format!("{field} "));
    let held = if verdict.action == Action::Hold {
        " (it is shown at once, so it cannot wait for a moderator)"
    } else {
        ""
    };
    ComplianceRefusal(format!(
        "{what}refused by the village's compliance rule {rule}: {}{held}",
        explanation(rule)
    ))
}

/// The guard's findings as decisions to store.
fn decisions(verdict: &Verdict) -> Vec<NewDecision> {
    verdict
        .findings
        .iter()
        .map(|finding| NewDecision {
            rule: finding.rule.as_str().into(),
            action: finding.action.as_str(),
            excerpt: finding.excerpt.clone(),
        })
        .collect()
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
