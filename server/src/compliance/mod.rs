//! The compliance guard: every text a person can see passes it before anyone but its author
//! sees it: posts (title, body and tags), replies, chat titles and messages, agents' speech,
//! and names. Declarative rules (`rules.rs`, from a TOML file) each say what to do when they
//! fire: allow, label, hold for review, or block. The text is read the ways an evader would
//! write it (`normalize.rs`: compatibility forms, invisible characters, look-alike letters,
//! digits of other scripts, odd separators between words), each rule's detector
//! (`detect.rs`, keys in `keys.rs`) looks at those readings, and the strictest action of the
//! rules that fired is the verdict (`guard.rs`). The guard decides only: storing the decision,
//! refusing a text that cannot wait for a moderator, and hiding held or blocked text are the
//! callers'.

pub mod detect;
pub mod guard;
pub mod keys;
pub mod normalize;
pub mod rules;

pub use guard::{Finding, Guard, Submission, Verdict};
pub use rules::{Action, ComplianceRules, RuleName};

#[cfg(test)]
mod evasion_tests;
#[cfg(test)]
mod tests;
