//! The one check for free text that people will read: speech, activity details, names,
//! personas. Trimmed, non-empty, not too long, no control characters.

use super::error::WorldError;

/// Trims `text` and checks it; `field` names it in the error.
pub fn checked_text(field: &str, text: &str, max_chars: usize) -> Result<String, WorldError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(WorldError::Invalid(format!("{field} must not be empty")));
    }
    let chars = text.chars().count();
    if chars > max_chars {
        return Err(WorldError::Invalid(format!(
            "{field} is {chars} characters; at most {max_chars} are allowed"
        )));
    }
    if text.chars().any(char::is_control) {
        return Err(WorldError::Invalid(format!(
            "{field} must not contain control characters"
        )));
    }
    Ok(text.to_string())
}
