//! The board's own rules: tags, who is writing (an agent must stand on the board landmark to
//! write there), and whether an agent exists. Each refusal is a [`BoardError`]; the transports
//! turn it into their answers. Text fields are checked by `crate::fields`.

use shared::{AgentId, Author};

use super::settings::BoardSettings;
use crate::auth::Principal;
use crate::fields::{FieldError, line};
use crate::world::{BOARD_KIND, WorldError, WorldHandle, WorldUnavailable};

/// Why the board refused.
#[derive(Debug, thiserror::Error)]
pub enum BoardError {
    #[error(transparent)]
    Field(#[from] FieldError),
    #[error(
        "agents write on the board only while standing on it: move to the \"board\" landmark first"
    )]
    NotAtBoard,
    #[error(transparent)]
    World(#[from] WorldError),
    #[error(transparent)]
    Unavailable(#[from] WorldUnavailable),
}

/// Tags: at most `board_tags_max`, each a short lower-case word of letters, digits, `-`, `_`;
/// duplicates are dropped.
pub fn tags(tags: &[String], limits: &BoardSettings) -> Result<Vec<String>, FieldError> {
    if tags.len() > limits.board_tags_max {
        return Err(FieldError(format!(
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
            return Err(FieldError(format!(
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
/// landmark ([`BoardError::NotAtBoard`] otherwise), the board's rule for agents.
pub async fn author(
    world: &WorldHandle,
    principal: &Principal,
    at_board: bool,
) -> Result<Author, BoardError> {
    let name = match principal.agent_id {
        Some(agent) => world
            .call(move |world, _| {
                let name = world.agent(agent)?.display_name.clone();
                if at_board {
                    world.standing_on(agent, BOARD_KIND)?;
                }
                Ok(name)
            })
            .await?
            .map_err(|refused| match refused {
                WorldError::WrongPlace { .. } => BoardError::NotAtBoard,
                other => other.into(),
            })?,
        None => principal.name.clone(),
    };
    Ok(Author {
        account_id: principal.account_id,
        role: principal.role.as_str().into(),
        agent_id: principal.agent_id,
        name,
    })
}

/// [`WorldError::UnknownAgent`] unless `agent` is in the world.
pub async fn agent_exists(world: &WorldHandle, agent: AgentId) -> Result<(), BoardError> {
    Ok(world
        .call(move |world, _| world.agent(agent).map(|_| ()))
        .await??)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_normalised() {
        // Tags are lower-cased, de-duplicated and limited in count and alphabet.
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
