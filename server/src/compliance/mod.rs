//! The compliance guard: every post, reply and chat message passes it before anyone but its
//! author sees it. Declarative rules (`rules.rs`, from a TOML file) each say what to do when
//! they fire: allow, label, hold for review, or block. The text is read the ways an evader
//! would write it (`normalize.rs`: compatibility forms, invisible characters, look-alike
//! letters), each rule's detector (`detect.rs`) looks at those readings, and the strictest
//! action of the rules that fired is the verdict (`guard.rs`). The guard decides only: storing
//! the decision and hiding held or blocked text is the board's.

pub mod detect;
pub mod guard;
pub mod normalize;
pub mod rules;

pub use guard::{Finding, Guard, Submission, Verdict};
pub use rules::{Action, ComplianceRules, RuleName};

#[cfg(test)]
mod tests;
