//! The one check for free text that people will read: speech, activity details, names,
//! personas. Trimmed, non-empty, not too long, no control characters; a name also holds no
//! character that hides or reorders what it shows. What the text says is the compliance
//! guard's to judge, not this file's.

use super::error::WorldError;
use crate::compliance::normalize::hidden_character;

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

/// A name people will read (an agent's display name): [`checked_text`], and no invisible,
/// direction-changing (U+202A–202E, U+2066–2069), zero-width or other format or control
/// character, nor any space but the plain one: each can make a name read as another.
pub fn checked_name(field: &str, text: &str, max_chars: usize) -> Result<String, WorldError> {
    let text = checked_text(field, text, max_chars)?;
    if let Some(hidden) = hidden_character(&text) {
        return Err(WorldError::Invalid(format!(
            "{field} must not contain invisible, direction-changing or control characters \
             (found U+{:04X})",
            u32::from(hidden)
        )));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_refuse_what_hides_or_reorders_them() {
        // A right-to-left override, an isolate, a zero-width space and a no-break space are
        // refused with the code point named; an ordinary name with accents passes, trimmed.
        for name in [
            "Ada\u{202E}lleuQ",
            "\u{2067}Ada",
            "Ad\u{200B}a",
            "Ada\u{A0}Quill",
        ] {
            let refused = checked_name("display_name", name, 64)
                .unwrap_err()
                .to_string();
            assert!(refused.contains("U+"), "{name:?}: {refused}");
        }
        assert_eq!(
            checked_name("display_name", " Zoë Quill ", 64).unwrap(),
            "Zoë Quill"
        );
    }
}
