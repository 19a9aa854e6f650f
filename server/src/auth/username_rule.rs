//! The naming rule for people's usernames: 3 to 32 letters, digits, `_`, `-` or `.` once
//! trimmed, and not starting with `agent-` (kept for agents' accounts, compared without case).
//! It decides only; it stores nothing, and the transports turn a [`UsernameError`] into their
//! answer (422 `invalid_username` on the API).

use crate::store::username_key;

/// Shortest username, in characters.
pub const USERNAME_CHARS_MIN: usize = 3;
/// Longest username, in characters.
pub const USERNAME_CHARS_MAX: usize = 32;

/// Why a username breaks the rule, in words for the person who chose it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsernameError {
    #[error("a username is {USERNAME_CHARS_MIN} to {USERNAME_CHARS_MAX} characters")]
    Length,
    #[error("a username holds only letters, digits, '_', '-' and '.'")]
    Alphabet,
    #[error("usernames starting with \"agent-\" are reserved")]
    Reserved,
}

/// `username` trimmed, if it keeps the rule.
pub fn checked_username(username: &str) -> Result<String, UsernameError> {
    let username = username.trim();
    let chars = username.chars().count();
    if !(USERNAME_CHARS_MIN..=USERNAME_CHARS_MAX).contains(&chars) {
        return Err(UsernameError::Length);
    }
    if !username
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        return Err(UsernameError::Alphabet);
    }
    if username_key(username).starts_with("agent-") {
        return Err(UsernameError::Reserved);
    }
    Ok(username.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_trims_and_refuses_length_alphabet_and_the_agent_prefix() {
        // Each way to break the rule has its own refusal; a good name comes back trimmed.
        assert_eq!(
            checked_username("  ada.l_9-x "),
            Ok("ada.l_9-x".to_string())
        );
        assert_eq!(checked_username("ab"), Err(UsernameError::Length));
        assert_eq!(
            checked_username(&"a".repeat(33)),
            Err(UsernameError::Length)
        );
        assert_eq!(
            checked_username("ada lovelace"),
            Err(UsernameError::Alphabet)
        );
        assert_eq!(checked_username("Agent-7"), Err(UsernameError::Reserved));
    }
}
