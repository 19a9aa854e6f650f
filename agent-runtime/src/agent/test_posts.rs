//! Board posts for the brains' tests: one builder, so each test says only what differs.

use shared::{AgentId, Audience, Author, BoardPost, PostId, PostStatus};

/// An author: a person when `agent` is `None`, else that agent.
pub fn author(name: &str, agent: Option<u64>) -> Author {
    Author {
        account_id: 40,
        role: if agent.is_some() { "agent" } else { "human" }.into(),
        agent_id: agent.map(AgentId),
        name: name.into(),
    }
}

/// An open post by `by` addressed to agent `to`.
pub fn post_to(to: AgentId, id: u64, by: Author, title: &str, body: &str) -> BoardPost {
    BoardPost {
        id: PostId(id),
        author: by,
        audience: Audience::Agent(to),
        title: title.into(),
        body: body.into(),
        tags: Vec::new(),
        status: PostStatus::Open,
        reply_count: 0,
        moderation_reason: None,
        created_at_ms: 0,
        updated_at_ms: 0,
    }
}
