//! The guard's rules, declared in a TOML file (`compliance.rules_file`; the shipped defaults
//! are `default_rules.toml`): for each rule what it does when it fires, and its parameters.
//! A file names only the rules it changes; unknown keys are refused, so a misspelt rule is an
//! error at start, not a rule that silently never fires.

use serde::{Deserialize, Serialize};

/// What a rule does to the text it fires on, from the mildest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Visible as written; the decision is still recorded.
    Allow,
    /// Visible, with the rule's label shown beside it.
    Label,
    /// Seen only by its author and moderators until a moderator decides.
    Hold,
    /// Refused: nothing is stored but the decision.
    Block,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Allow => "allow",
            Action::Label => "label",
            Action::Hold => "hold",
            Action::Block => "block",
        }
    }
}

/// The rules, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleName {
    Email,
    Phone,
    CardNumber,
    ApiKey,
    PrivateKey,
    Jwt,
    BannedTerm,
    Link,
    Length,
    Repetition,
    Flooding,
}

impl RuleName {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleName::Email => "email",
            RuleName::Phone => "phone",
            RuleName::CardNumber => "card_number",
            RuleName::ApiKey => "api_key",
            RuleName::PrivateKey => "private_key",
            RuleName::Jwt => "jwt",
            RuleName::BannedTerm => "banned_term",
            RuleName::Link => "link",
            RuleName::Length => "length",
            RuleName::Repetition => "repetition",
            RuleName::Flooding => "flooding",
        }
    }
}

/// A rule that only needs an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Simple {
    pub action: Action,
}

/// Words nobody may post, matched in every reading (look-alikes and leetspeak included),
/// whatever separates their words, and spelled out a letter at a time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BannedTerms {
    pub action: Action,
    pub terms: Vec<String>,
}

/// Links: hosts in `allow` (and their subdomains) pass; any other fires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Links {
    pub action: Action,
    pub allow: Vec<String>,
}

/// Text longer than `chars_max` (title and body together).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Length {
    pub action: Action,
    pub chars_max: usize,
}

/// One character repeated `run_max` times in a row or more, or one word making up more than
/// `word_share_max` percent of a text of at least `words_min` words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Repetition {
    pub action: Action,
    pub run_max: usize,
    pub words_min: usize,
    pub word_share_max: u8,
}

/// More than `messages_max` submissions by one author within `window_s` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flooding {
    pub action: Action,
    pub messages_max: usize,
    pub window_s: u64,
}

/// Every rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComplianceRules {
    pub email: Simple,
    pub phone: Simple,
    pub card_number: Simple,
    pub api_key: Simple,
    pub private_key: Simple,
    pub jwt: Simple,
    pub banned_term: BannedTerms,
    pub link: Links,
    pub length: Length,
    pub repetition: Repetition,
    pub flooding: Flooding,
}

/// The shipped rules.
pub const DEFAULT_RULES: &str = include_str!("default_rules.toml");

/// Why a rules file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("compliance rules: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("compliance rules: {0}")]
    Invalid(String),
}

impl ComplianceRules {
    /// The shipped rules.
    pub fn defaults() -> ComplianceRules {
        // The shipped file is parsed and checked by a test: it cannot fail.
        #[allow(clippy::expect_used)]
        ComplianceRules::parse(DEFAULT_RULES).expect("the shipped compliance rules parse")
    }

    /// Rules from TOML text, checked.
    pub fn parse(text: &str) -> Result<ComplianceRules, RulesError> {
        let rules: ComplianceRules = toml::from_str(text)?;
        rules.check()?;
        Ok(rules)
    }

    /// Refuses limits that would make a rule fire on everything or on nothing.
    fn check(&self) -> Result<(), RulesError> {
        let bad = |message: &str| Err(RulesError::Invalid(message.to_string()));
        if self.length.chars_max == 0 {
            return bad("length.chars_max must be at least 1");
        }
        if self.repetition.run_max < 2 || self.repetition.word_share_max == 0 {
            return bad("repetition.run_max must be at least 2 and word_share_max above 0");
        }
        if self.flooding.messages_max == 0 || self.flooding.window_s == 0 {
            return bad("flooding.messages_max and flooding.window_s must be above 0");
        }
        if self
            .banned_term
            .terms
            .iter()
            .any(|term| term.trim().is_empty())
        {
            return bad("banned_term.terms has an empty term");
        }
        if self
            .link
            .allow
            .iter()
            .any(|host| host.contains('/') || host.is_empty())
        {
            return bad("link.allow lists hosts (docs.rs), not URLs");
        }
        Ok(())
    }
}
