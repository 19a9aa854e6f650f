//! What the brains' tests perceive: an agent's view of itself, its standing, board posts. One
//! builder each, so a test says only what differs.

use shared::{
    Activity, AgentId, AgentStatus, AgentView, Audience, Author, BoardPost, BoardReply, Facing,
    PostId, PostStatus, TilePos,
};

use shared::api::Standing;
use shared::tier::{Entitlements, GpuShare};

/// An idle seedling at (5, 5) who loves the library, at home in `home-ash`.
pub fn view(id: AgentId, name: &str) -> AgentView {
    AgentView {
        id,
        display_name: name.into(),
        persona: "Loves the library and old maps.".into(),
        home: Some("home-ash".into()),
        pos: TilePos::new(5, 5),
        facing: Facing::South,
        status: AgentStatus::Online,
        activity: Activity::idle(),
        last_seen_ms: 0,
        tier: "seedling".into(),
    }
}

/// A seedling's standing with `balance_micros`: 6 requests a minute, one tool run, no egress.
pub fn standing(me: AgentId, balance_micros: i64) -> Standing {
    Standing {
        agent_id: me.0,
        balance_micros,
        balance: shared::money::format_aidollar(balance_micros),
        tier: "seedling".into(),
        balance_tier: "seedling".into(),
        boost: None,
        burn_micros_per_hour: 0,
        next_downgrade: None,
        entitlements: Entitlements {
            requests_per_minute: 6,
            request_burst: 3,
            concurrent_tool_runs: 1,
            llm_models: Vec::new(),
            llm_tokens_per_hour: 20_000,
            cpu_millicores: 500,
            memory_mib: 512,
            pids_max: 64,
            disk_mib: 1024,
            gpu: GpuShare::None,
            egress: false,
        },
        downgrade_warning: false,
    }
}

/// An author: a person when `agent` is `None`, else that agent.
pub fn author(name: &str, agent: Option<u64>) -> Author {
    Author {
        account_id: shared::AccountId(40),
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
        held: false,
        labels: Vec::new(),
    }
}

/// A visible reply by `by` under post `post`.
pub fn reply(id: u64, post: u64, by: Author, body: &str) -> BoardReply {
    BoardReply {
        id: shared::ReplyId(id),
        post_id: PostId(post),
        author: by,
        body: body.into(),
        created_at_ms: 0,
        held: false,
        labels: Vec::new(),
        hidden: false,
    }
}
