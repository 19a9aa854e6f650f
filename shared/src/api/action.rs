//! `POST /agents/{id}/action`: what an agent does where it stands. The action's name is the
//! enum's serde tag, written once here: the server reads it, the agent sends it, and the LLM
//! brain's tools and the OpenAPI document are derived from the same type.

use serde::{Deserialize, Serialize};

use crate::agent::Activity;

/// An action: `{"action": "talk", "text": ...}`, `{"action": "use_board"}`,
/// `{"action": "work", "detail": ...}` or `{"action": "idle"}`. The variants without data are
/// empty structs, not unit variants, so that a field they do not take is refused (serde lets
/// an internally tagged unit variant ignore extra fields).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// Say a line to every agent within the hearing radius.
    Talk {
        /// What to say: 1 to `limits.speech_chars_max` characters once trimmed (default 280;
        /// configurable), no control characters.
        #[cfg_attr(
            feature = "openapi",
            schema(
                min_length = 1,
                max_length = 280,
                pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$"
            )
        )]
        text: String,
    },
    /// Use the bulletin board; only on the board landmark.
    UseBoard {},
    /// Work at the landmark the agent stands on.
    Work {
        /// What the work is (optional): 1 to `limits.activity_detail_chars_max` characters
        /// once trimmed (default 120; configurable), no control characters.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(
            feature = "openapi",
            schema(
                min_length = 1,
                max_length = 120,
                pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$"
            )
        )]
        detail: Option<String>,
    },
    /// Stop walking and do nothing.
    Idle {},
}

/// An action's name alone, as [`ActionOutcome`] reports it; the same strings as [`Action`]'s
/// tag, because serde names both by the same rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ActionName {
    Talk,
    UseBoard,
    Work,
    Idle,
}

impl Action {
    /// The action's name.
    pub fn name(&self) -> ActionName {
        match self {
            Action::Talk { .. } => ActionName::Talk,
            Action::UseBoard {} => ActionName::UseBoard,
            Action::Work { .. } => ActionName::Work,
            Action::Idle {} => ActionName::Idle,
        }
    }
}

/// An action body as sent, before it is read as an [`Action`]: the fields any action takes,
/// each of its type. A body with another field, or a field of another type, is malformed as
/// a whole; one that fits this but not the action it names is an [`ActionError`]. The test
/// below keeps it in step with [`Action`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionFields {
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl TryFrom<ActionFields> for Action {
    type Error = ActionError;

    /// Reads the fields as the action they name, saying which rule they break: a name no
    /// action has, or fields that do not go with the action named.
    fn try_from(fields: ActionFields) -> Result<Action, ActionError> {
        let body =
            serde_json::to_value(fields).map_err(|e| ActionError::DoesNotFit(e.to_string()))?;
        serde_json::from_value(body).map_err(|error| {
            let message = error.to_string();
            // serde words this one error so in every format: the one way to tell it apart.
            if message.starts_with("unknown variant") {
                ActionError::Unknown(message)
            } else {
                ActionError::DoesNotFit(message)
            }
        })
    }
}

/// Why a body is not an action.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActionError {
    /// No action has this name; serde's message lists the known ones.
    #[error("{0}")]
    Unknown(String),
    /// The fields do not go with the action named.
    #[error("{0}")]
    DoesNotFit(String),
}

/// What an action did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActionOutcome {
    pub action: ActionName,
    /// The agent's activity after the action.
    pub activity: Activity,
    /// For `talk`: how many other agents heard it.
    pub heard_by: Option<usize>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn actions_keep_their_wire_form() {
        // Each action is written and read as the API has always taken it.
        let cases = [
            (
                Action::Talk { text: "hi".into() },
                json!({"action": "talk", "text": "hi"}),
            ),
            (Action::UseBoard {}, json!({"action": "use_board"})),
            (Action::Work { detail: None }, json!({"action": "work"})),
            (
                Action::Work {
                    detail: Some("maps".into()),
                },
                json!({"action": "work", "detail": "maps"}),
            ),
            (Action::Idle {}, json!({"action": "idle"})),
        ];
        for (action, wire) in cases {
            assert_eq!(serde_json::to_value(&action).unwrap(), wire);
            let fields: ActionFields = serde_json::from_value(wire.clone()).unwrap();
            assert_eq!(Action::try_from(fields), Ok(action.clone()), "{wire}");
            let name = serde_json::to_value(action.name()).unwrap();
            assert_eq!(name, wire["action"]);
        }
    }

    #[test]
    fn a_body_that_is_no_action_says_why() {
        // An unknown name is told apart from fields that do not fit, extra ones included;
        // a field no action has is not an action body at all.
        assert!(
            serde_json::from_value::<ActionFields>(json!({"action": "idle", "mood": "sad"}))
                .is_err()
        );
        let read = |body: serde_json::Value| {
            let fields: ActionFields = serde_json::from_value(body).unwrap();
            Action::try_from(fields)
        };
        let unknown = read(json!({"action": "dance"}));
        let Err(ActionError::Unknown(message)) = unknown else {
            panic!("{unknown:?}");
        };
        for known in ["talk", "use_board", "work", "idle"] {
            assert!(message.contains(known), "{message}");
        }
        for body in [
            json!({"action": "talk"}),
            json!({"action": "talk", "text": "hi", "detail": "x"}),
            json!({"action": "idle", "text": "x"}),
            json!({"action": "use_board", "detail": "x"}),
            json!({"action": "work", "text": "x"}),
        ] {
            let got = read(body.clone());
            assert!(
                matches!(got, Err(ActionError::DoesNotFit(_))),
                "{body}: {got:?}"
            );
        }
    }
}
