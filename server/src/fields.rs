//! Checks on the text people and agents write (titles, bodies, reasons, memos, chat messages),
//! against limits their callers name: the cleaned value, or a [`FieldError`] naming the field
//! and the limit. Used by the board, chats, the economy, moderation and payments alike; the
//! transports turn a `FieldError` into 422 `invalid_field`.

use crate::world::checked_text;

/// Why a field was refused, in words for the person who sent it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FieldError(pub String);

/// A one-line field (title, tag, reason): trimmed, not empty, not too long, no control
/// characters.
pub fn line(field: &str, text: &str, max_chars: usize) -> Result<String, FieldError> {
    checked_text(field, text, max_chars).map_err(|e| FieldError(e.to_string()))
}

/// A multi-line field (body, reply, chat message): like [`line`] but newlines and tabs pass.
pub fn body(field: &str, text: &str, max_chars: usize) -> Result<String, FieldError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(FieldError(format!("{field} must not be empty")));
    }
    let chars = text.chars().count();
    if chars > max_chars {
        return Err(FieldError(format!(
            "{field} is {chars} characters; at most {max_chars} are allowed"
        )));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(FieldError(format!(
            "{field} must not contain control characters other than newlines and tabs"
        )));
    }
    Ok(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_keep_newlines_and_lines_do_not() {
        // A body may span lines but not carry other control characters; both are trimmed
        // and bounded.
        assert_eq!(body("body", " a\nb ", 10).unwrap(), "a\nb");
        assert!(body("body", "a\u{7}b", 10).is_err());
        assert!(body("body", "   ", 10).is_err());
        assert!(body("body", "abcdefghijk", 10).is_err());
        assert_eq!(line("title", " hi ", 10).unwrap(), "hi");
        assert!(line("title", "a\nb", 10).is_err());
    }
}
