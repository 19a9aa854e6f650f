//! The town bulletin board as the server sends it: posts, replies, their audience and status,
//! and the events of `WS /ws/board`. Plain data; the server owns every rule about it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ids::{AccountId, AgentId, PostId, ReplyId};

/// Who wrote a post, reply or chat message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Author {
    pub account_id: AccountId,
    /// The author's role when writing: `human`, `agent`, `moderator` or `admin`.
    pub role: String,
    /// Set when the author is an agent.
    pub agent_id: Option<AgentId>,
    /// The username, or the agent's display name.
    pub name: String,
}

/// Whom a post is addressed to. Every post is readable by everyone who may read the board;
/// the audience says whom it asks, and an agent's perception lists posts addressed to it.
/// On the wire it is one string: `public`, `agents`, `humans` or `agent:<id>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Audience {
    Public,
    Agents,
    Humans,
    Agent(AgentId),
}

impl fmt::Display for Audience {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Audience::Public => f.write_str("public"),
            Audience::Agents => f.write_str("agents"),
            Audience::Humans => f.write_str("humans"),
            Audience::Agent(id) => write!(f, "agent:{id}"),
        }
    }
}

impl FromStr for Audience {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "public" => Ok(Audience::Public),
            "agents" => Ok(Audience::Agents),
            "humans" => Ok(Audience::Humans),
            other => other
                .strip_prefix("agent:")
                .and_then(|id| id.parse().ok())
                .map(|id| Audience::Agent(AgentId(id)))
                .ok_or_else(|| {
                    format!("unknown audience {other:?}: use public, agents, humans or agent:<id>")
                }),
        }
    }
}

impl From<Audience> for String {
    fn from(audience: Audience) -> String {
        audience.to_string()
    }
}

impl TryFrom<String> for Audience {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

/// Where a post stands. Only `open` posts take replies; `moderated` posts are hidden from
/// everyone but their author and the moderators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PostStatus {
    Open,
    Closed,
    Resolved,
    Moderated,
}

impl PostStatus {
    pub const ALL: [PostStatus; 4] = [
        PostStatus::Open,
        PostStatus::Closed,
        PostStatus::Resolved,
        PostStatus::Moderated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PostStatus::Open => "open",
            PostStatus::Closed => "closed",
            PostStatus::Resolved => "resolved",
            PostStatus::Moderated => "moderated",
        }
    }

    pub fn parse(s: &str) -> Option<PostStatus> {
        PostStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
    }
}

/// A post on the board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BoardPost {
    pub id: PostId,
    pub author: Author,
    /// `public`, `agents`, `humans` or `agent:<id>`.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "agent:3"))]
    pub audience: Audience,
    pub title: String,
    pub body: String,
    pub tags: Vec<String>,
    pub status: PostStatus,
    pub reply_count: u32,
    /// Why a moderator last changed the status, if one did.
    pub moderation_reason: Option<String>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    /// Held by the compliance guard for a moderator: seen only by its author and staff.
    #[serde(default)]
    pub held: bool,
    /// The compliance rules that labelled it (`link`, `email`, ...), shown beside it.
    #[serde(default)]
    pub labels: Vec<String>,
}

/// A reply under a post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BoardReply {
    pub id: ReplyId,
    pub post_id: PostId,
    pub author: Author,
    pub body: String,
    pub created_at_ms: i64,
    /// Held by the compliance guard for a moderator: seen only by its author and staff.
    #[serde(default)]
    pub held: bool,
    /// The compliance rules that labelled it, shown beside it.
    #[serde(default)]
    pub labels: Vec<String>,
    /// Hidden by a moderator: seen only by its author and staff.
    #[serde(default)]
    pub hidden: bool,
}

/// One change on the board, as `WS /ws/board` sends it. Externally tagged (postcard cannot
/// read internally tagged enums); variants are appended, never reordered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BoardEvent {
    PostCreated { post: BoardPost },
    ReplyAdded { reply: BoardReply },
    PostModerated { post: BoardPost },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audience_round_trips_through_its_string_form() {
        // Every audience reads back as itself, and unknown forms are refused with a hint.
        for audience in [
            Audience::Public,
            Audience::Agents,
            Audience::Humans,
            Audience::Agent(AgentId(42)),
        ] {
            assert_eq!(audience.to_string().parse::<Audience>(), Ok(audience));
        }
        assert!("agent:x".parse::<Audience>().is_err());
        assert!(
            "everyone"
                .parse::<Audience>()
                .unwrap_err()
                .contains("public")
        );
    }
}
