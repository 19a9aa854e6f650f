//! The guard: reads a submission, asks every rule's detector, and gives the verdict, the
//! strictest action of the rules that fired, with every finding. The parts of a submission
//! (a post's title, body and tags) are read each alone and all together, so that neither a
//! secret split across two parts nor a number run into the next part's digits gets through.
//! It keeps one piece of state: each author's recent submissions, for the flooding rule
//! (bounded: authors seen within the window, at most `messages_max` + 1 instants each, and
//! at most `AUTHORS_TRACKED_MAX` authors).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::detect::{self, Found};
use super::normalize::{Readings, read};
use super::rules::{Action, ComplianceRules, RuleName};

/// Authors whose recent submissions are remembered; past this the oldest are forgotten.
const AUTHORS_TRACKED_MAX: usize = 100_000;

/// A text to check and who wrote it.
#[derive(Debug, Clone, Copy)]
pub struct Submission<'a> {
    /// `agent:7` or `account:3`: whose submissions the flooding rule counts together.
    pub author: &'a str,
    /// A post's or chat's title; empty for replies and chat messages.
    pub title: &'a str,
    pub body: &'a str,
    /// A post's tags; empty for everything else.
    pub tags: &'a [String],
}

/// One rule that fired, with what it does and what it found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: RuleName,
    pub action: Action,
    /// Safe to store and show: secrets and numbers are masked.
    pub excerpt: String,
}

/// The guard's decision on one submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The strictest action among the findings; `Allow` when none.
    pub action: Action,
    pub findings: Vec<Finding>,
}

impl Verdict {
    /// The finding that decided the action (the first of the strictest).
    pub fn deciding(&self) -> Option<&Finding> {
        self.findings
            .iter()
            .find(|finding| finding.action == self.action)
    }
}

/// The compliance guard, shared by every handler that accepts text.
#[derive(Debug)]
pub struct Guard {
    rules: ComplianceRules,
    recent: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl Guard {
    pub fn new(rules: ComplianceRules) -> Guard {
        Guard {
            rules,
            recent: Mutex::new(HashMap::new()),
        }
    }

    pub fn rules(&self) -> &ComplianceRules {
        &self.rules
    }

    /// Checks `submission`, made at `now`; it counts toward its author's flooding window.
    pub fn check(&self, submission: Submission<'_>, now: Instant) -> Verdict {
        let tags = submission.tags.join(" ");
        let mut found = self.find(&[submission.title, submission.body, &tags]);
        if let Some(hit) = self.flooding(submission.author, now) {
            found.push((hit, self.rules.flooding.action));
        }
        verdict(found)
    }

    /// Checks one text that is not a message (a name, a line of speech): every rule but
    /// flooding, which counts messages.
    pub fn inspect(&self, text: &str) -> Verdict {
        verdict(self.find(&[text]))
    }

    /// What the rules find in `parts`, each alone and all together.
    fn find(&self, parts: &[&str]) -> Vec<(Found, Action)> {
        let rules = &self.rules;
        let parts: Vec<&str> = parts
            .iter()
            .copied()
            .filter(|part| !part.is_empty())
            .collect();
        let text = parts.join("\n");
        let mut found: Vec<(Found, Action)> = Vec::new();
        if let Some(hit) = detect::length(&text, &rules.length) {
            found.push((hit, rules.length.action));
        }
        // Past the length limit only the count is read: a huge text costs no more.
        let alone: Vec<Readings> = if text.chars().count() > rules.length.chars_max {
            vec![read(
                &text
                    .chars()
                    .take(rules.length.chars_max)
                    .collect::<String>(),
            )]
        } else {
            parts.iter().map(|part| read(part)).collect()
        };
        let together = Readings::joined(&alone.iter().collect::<Vec<_>>());
        // The joined reading first: its excerpt shows the most of what was split.
        let mut views: Vec<&Readings> = vec![&together];
        if alone.len() > 1 {
            views.extend(alone.iter());
        }
        let mut add = |detector: &dyn Fn(&Readings) -> Option<Found>, action: Action| {
            if let Some(hit) = views.iter().find_map(|readings| detector(readings)) {
                found.push((hit, action));
            }
        };
        add(&detect::card_number, rules.card_number.action);
        add(&detect::api_key, rules.api_key.action);
        add(&detect::private_key, rules.private_key.action);
        add(&detect::jwt, rules.jwt.action);
        add(&detect::email, rules.email.action);
        add(&detect::phone, rules.phone.action);
        add(
            &|readings| detect::banned_term(readings, &rules.banned_term),
            rules.banned_term.action,
        );
        add(
            &|readings| detect::link(readings, &rules.link),
            rules.link.action,
        );
        if let Some(hit) = detect::repetition(&together, &rules.repetition) {
            found.push((hit, rules.repetition.action));
        }
        found
    }

    /// Counts the submission in its author's window; a finding when the window holds more
    /// than the rule allows.
    fn flooding(&self, author: &str, now: Instant) -> Option<Found> {
        let rule = &self.rules.flooding;
        let window = Duration::from_secs(rule.window_s);
        let mut recent = self
            .recent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if recent.len() >= AUTHORS_TRACKED_MAX && !recent.contains_key(author) {
            recent.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < window)
            });
            if recent.len() >= AUTHORS_TRACKED_MAX {
                return None;
            }
        }
        let times = recent.entry(author.to_string()).or_default();
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= window)
        {
            times.pop_front();
        }
        times.push_back(now);
        while times.len() > rule.messages_max + 1 {
            times.pop_front();
        }
        (times.len() > rule.messages_max).then(|| Found {
            rule: RuleName::Flooding,
            excerpt: format!(
                "more than {} messages in {} s",
                rule.messages_max, rule.window_s
            ),
        })
    }
}

/// The verdict on what the rules found: the strictest action, and every finding.
fn verdict(found: Vec<(Found, Action)>) -> Verdict {
    let findings: Vec<Finding> = found
        .into_iter()
        .map(|(hit, action)| Finding {
            rule: hit.rule,
            action,
            excerpt: hit.excerpt,
        })
        .collect();
    let action = findings
        .iter()
        .map(|finding| finding.action)
        .max()
        .unwrap_or(Action::Allow);
    Verdict { action, findings }
}
