//! The kill switch's rules, with no I/O: which admin action moves an agent's control to which
//! state, which actions are refused, and what status an agent has in the world given its hold.
//! The control desk (`auth::agent_control`) stores and applies what these decide.

use serde::Deserialize;
use shared::AgentStatus;
use shared::runtime::Hold;
use utoipa::ToSchema;

use crate::store::AgentControl;

/// Longest reason an admin may give, in characters (the column's limit).
pub const REASON_CHARS_MAX: usize = 500;

/// What an admin asks of an agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ControlAction {
    /// Freeze the container in place.
    Pause,
    /// Lift any hold: the container runs again (with a fresh token after a quarantine).
    Resume,
    /// Stop the container gracefully.
    Stop,
    /// Kill the container at once.
    Kill,
    /// Kill it at once, replace its token by one nobody holds, keep the container for review.
    Quarantine,
    /// Hold its compute at the first tier, whatever its balance or boosts.
    Freeze,
    /// Let its balance and boosts set its tier again.
    Unfreeze,
}

impl ControlAction {
    pub fn as_str(self) -> &'static str {
        match self {
            ControlAction::Pause => "pause",
            ControlAction::Resume => "resume",
            ControlAction::Stop => "stop",
            ControlAction::Kill => "kill",
            ControlAction::Quarantine => "quarantine",
            ControlAction::Freeze => "freeze",
            ControlAction::Unfreeze => "unfreeze",
        }
    }
}

/// Why an action was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Only `resume` releases a quarantine; a milder hold would let the agent's container
    /// come back before anyone reviewed it.
    Quarantined,
}

/// The agent's control after `action`, or why it cannot be taken. Repeating an action is
/// allowed and changes nothing but the reason.
pub fn next_control(current: &AgentControl, action: ControlAction) -> Result<Next, Refusal> {
    let hold = |hold: Hold| -> Result<Option<Hold>, Refusal> {
        match current.hold {
            Some(Hold::Quarantine) if hold != Hold::Quarantine => Err(Refusal::Quarantined),
            _ => Ok(Some(hold)),
        }
    };
    let (new_hold, frozen) = match action {
        ControlAction::Pause => (hold(Hold::Pause)?, current.frozen),
        ControlAction::Stop => (hold(Hold::Stop)?, current.frozen),
        ControlAction::Kill => (hold(Hold::Kill)?, current.frozen),
        ControlAction::Quarantine => (hold(Hold::Quarantine)?, current.frozen),
        ControlAction::Resume => (None, current.frozen),
        ControlAction::Freeze => (current.hold, true),
        ControlAction::Unfreeze => (current.hold, false),
    };
    Ok(Next {
        hold: new_hold,
        frozen,
        // A quarantine cuts the token every time it is asked for, so a token issued by
        // mistake in between stops working too.
        replace_token: action == ControlAction::Quarantine,
    })
}

/// What an action leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Next {
    pub hold: Option<Hold>,
    pub frozen: bool,
    /// Whether the agent's token must stop working now.
    pub replace_token: bool,
}

/// The agent's status in the world given its hold: the hold's status, or — without one — the
/// stored status, unless that is a held status left behind (only holds set those).
pub fn held_status(stored: AgentStatus, hold: Option<Hold>) -> AgentStatus {
    match hold {
        Some(hold) => hold.status(),
        None if stored.may_act() => stored,
        None => AgentStatus::Idle,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::AgentId;

    fn with(hold: Option<Hold>, frozen: bool) -> AgentControl {
        AgentControl {
            hold,
            frozen,
            ..AgentControl::released(AgentId(1))
        }
    }

    #[test]
    fn each_action_sets_its_hold_or_freeze_and_keeps_the_other() {
        // Holds leave a freeze as it was and freezes leave a hold as it was; resume lifts any
        // hold; only a quarantine replaces the token.
        use ControlAction::*;
        let cases = [
            (Pause, Some(Hold::Pause), true),
            (Stop, Some(Hold::Stop), true),
            (Kill, Some(Hold::Kill), true),
            (Quarantine, Some(Hold::Quarantine), true),
            (Resume, None, true),
        ];
        for (action, hold, frozen) in cases {
            let next = next_control(&with(Some(Hold::Pause), true), action).unwrap();
            assert_eq!((next.hold, next.frozen), (hold, frozen), "{action:?}");
            assert_eq!(next.replace_token, action == Quarantine, "{action:?}");
        }
        let next = next_control(&with(Some(Hold::Stop), false), Freeze).unwrap();
        assert_eq!((next.hold, next.frozen), (Some(Hold::Stop), true));
        let next = next_control(&with(Some(Hold::Stop), true), Unfreeze).unwrap();
        assert_eq!((next.hold, next.frozen), (Some(Hold::Stop), false));
    }

    #[test]
    fn a_quarantine_is_released_only_by_resume() {
        // Pause, stop and kill would soften a quarantine without review: refused; resume,
        // a repeated quarantine and freezes are taken.
        let quarantined = with(Some(Hold::Quarantine), false);
        for action in [
            ControlAction::Pause,
            ControlAction::Stop,
            ControlAction::Kill,
        ] {
            assert_eq!(
                next_control(&quarantined, action),
                Err(Refusal::Quarantined),
                "{action:?}"
            );
        }
        let again = next_control(&quarantined, ControlAction::Quarantine).unwrap();
        assert_eq!(again.hold, Some(Hold::Quarantine));
        assert!(again.replace_token);
        assert_eq!(
            next_control(&quarantined, ControlAction::Resume)
                .unwrap()
                .hold,
            None
        );
        let frozen = next_control(&quarantined, ControlAction::Freeze).unwrap();
        assert_eq!((frozen.hold, frozen.frozen), (Some(Hold::Quarantine), true));
    }

    #[test]
    fn a_hold_sets_the_status_and_a_stale_held_status_is_dropped() {
        // The stored status counts only when it allows acting and no hold is set.
        use AgentStatus::*;
        assert_eq!(held_status(Online, Some(Hold::Kill)), Paused);
        assert_eq!(held_status(Idle, Some(Hold::Quarantine)), Quarantined);
        assert_eq!(held_status(Online, None), Online);
        assert_eq!(held_status(Paused, None), Idle);
        assert_eq!(held_status(Quarantined, None), Idle);
    }
}
