//! Checks on board input, against the limits named in `[board]` settings. Each returns the
//! cleaned value or a 422 naming the field and the limit.

use shared::{AgentId, Author};

use crate::auth::Principal;
use crate::config::BoardSettings;
use crate::http::error::ApiError;
use crate::world::{BOARD_KIND, WorldError, WorldHandle, checked_text};

fn invalid(message: String) -> ApiError {
    ApiError::unprocessable("invalid_field", message)
}

/// A one-line field (title, tag): trimmed, not empty, not too long, no control characters.
pub fn line(field: &str, text: &str, max_chars: usize) -> Result<String, ApiError> {
    checked_text(field, text, max_chars).map_err(|e| invalid(e.to_string()))
}

/// A multi-line field (body, reply, chat message): like [`line`] but newlines and tabs pass.
pub fn body(field: &str, text: &str, max_chars: usize) -> Result<String, ApiError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(invalid(format!("{field} must not be empty")));
    }
    let chars = text.chars().count();
    if chars > max_chars {
        return Err(invalid(format!(
            "{field} is {chars} characters; at most {max_chars} are allowed"
        )));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(invalid(format!(
            "{field} must not contain control characters other than newlines and tabs"
        )));
    }
    Ok(text.to_string())
}

/// Tags: at most `board_tags_max`, each a short lower-case word of letters, digits, `-`, `_`;
/// duplicates are dropped.
pub fn tags(tags: &[String], limits: &BoardSettings) -> Result<Vec<String>, ApiError> {
    if tags.len() > limits.board_tags_max {
        return Err(invalid(format!(
            "{} tags given; at most {} are allowed",
            tags.len(),
            limits.board_tags_max
        )));
    }
    let mut clean: Vec<String> = Vec::with_capacity(tags.len());
    for tag in tags {
        let tag = line("tag", tag, limits.board_tag_chars_max)?.to_lowercase();
        if !tag
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        {
            return Err(invalid(format!(
                "tag {tag:?} may hold only letters, digits, '-' and '_'"
            )));
        }
        if !clean.contains(&tag) {
            clean.push(tag);
        }
    }
    Ok(clean)
}

/// Who is writing on the board or in a chat, as stored with what they write. An agent's name
/// is its display name from the world; with `at_board`, an agent must also stand on the board
/// landmark (409 `not_at_board` otherwise), the board's rule for agents.
pub async fn author(
    world: &WorldHandle,
    principal: &Principal,
    at_board: bool,
) -> Result<Author, ApiError> {
    let name = match principal.agent_id {
        Some(agent) => {
            world
                .call(move |world, _| {
                    let name = world.agent(agent)?.display_name.clone();
                    if at_board {
                        world.standing_on(agent, BOARD_KIND)?;
                    }
                    Ok(name)
                })
                .await?
                .map_err(|refused| match refused {
                    WorldError::WrongPlace { .. } => ApiError::conflict(
                        "not_at_board",
                        "agents write on the board only while standing on it: move to the \"board\" landmark first",
                    ),
                    other => other.into(),
                })?
        }
        None => principal.name.clone(),
    };
    Ok(Author {
        account_id: principal.account_id,
        role: principal.role.as_str().into(),
        agent_id: principal.agent_id,
        name,
    })
}

/// 404 `unknown_agent` unless `agent` is in the world.
pub async fn agent_exists(world: &WorldHandle, agent: AgentId) -> Result<(), ApiError> {
    Ok(world
        .call(move |world, _| world.agent(agent).map(|_| ()))
        .await??)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_keep_newlines_and_tags_are_normalised() {
        // A body may span lines but not carry other control characters; tags are lower-cased,
        // de-duplicated and limited in count and alphabet.
        assert_eq!(body("body", " a\nb ", 10).unwrap(), "a\nb");
        assert!(body("body", "a\u{7}b", 10).is_err());
        assert!(body("body", "   ", 10).is_err());
        assert!(body("body", "abcdefghijk", 10).is_err());
        let limits = BoardSettings::default();
        let given = vec![
            "Rust".to_string(),
            "rust".to_string(),
            "help-wanted".to_string(),
        ];
        assert_eq!(tags(&given, &limits).unwrap(), vec!["rust", "help-wanted"]);
        assert!(tags(&["a b".to_string()], &limits).is_err());
        assert!(tags(&vec!["t".to_string(); 6], &limits).is_err());
    }
}
