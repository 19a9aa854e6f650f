//! What the compliance guard left on a text that is stored: held or not, its labels, and each
//! finding to record as a decision. Its own module: both the board's records and the
//! moderation queue use it.

/// One finding of the guard, to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDecision {
    pub rule: String,
    /// `allow`, `label`, `hold` or `block`.
    pub action: &'static str,
    /// Masked by the guard.
    pub excerpt: String,
}

/// What the guard left on a text that is stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Screening {
    /// Seen only by its author and staff until a moderator decides.
    pub held: bool,
    /// Rules that label it.
    pub labels: Vec<String>,
    /// Every finding, allowed ones included.
    pub decisions: Vec<NewDecision>,
}

impl Screening {
    /// Held or labelled texts wait in the moderation queue.
    pub fn needs_review(&self) -> bool {
        self.held || !self.labels.is_empty()
    }
}
