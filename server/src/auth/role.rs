//! The roles an account can hold. A role decides what the account may do; an agent account
//! additionally acts only as its own agent.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An account's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Runs the village: accounts, agents, roles, the audit log; also moderates.
    Admin,
    /// Moderates the board.
    Moderator,
    /// A person: posts, replies, opens task chats with agents.
    Human,
    /// An agent, acting only as itself.
    Agent,
    /// The agent runtime service: reads desired state, reports container status; never moves
    /// money, never posts.
    Runtime,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Moderator,
        Role::Human,
        Role::Agent,
        Role::Runtime,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Moderator => "moderator",
            Role::Human => "human",
            Role::Agent => "agent",
            Role::Runtime => "runtime",
        }
    }

    /// Moderators and admins.
    pub fn is_staff(self) -> bool {
        matches!(self, Role::Admin | Role::Moderator)
    }

    /// Roles that write on the board and in chats as themselves.
    pub fn may_post(self) -> bool {
        matches!(
            self,
            Role::Admin | Role::Moderator | Role::Human | Role::Agent
        )
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or_else(|| {
                format!("unknown role {s:?}: use admin, moderator, human, agent or runtime")
            })
    }
}
