//! After a board change is committed: send it to `WS /ws/board` subscribers and a summary into
//! the world stream's next delta. Both are notifications; the store already holds the change,
//! so a full world queue only costs the world-stream summary (it is logged and counted).

use std::sync::Arc;

use shared::protocol::VillageEvent;
use shared::{BoardEvent, BoardPost, BoardReply, PostStatus};
use tokio::sync::broadcast;

use crate::metrics::Metrics;
use crate::store::Store;
use crate::world::WorldHandle;

/// Where committed board events go: the `WS /ws/board` broadcast and the world stream, with
/// the store to look at a post again and the metrics that count a summary the world dropped.
#[derive(Clone, Copy)]
pub struct BoardOutlets<'a> {
    pub store: &'a Store,
    pub board_events: &'a broadcast::Sender<Arc<BoardEvent>>,
    pub world: &'a WorldHandle,
    pub metrics: &'a Metrics,
}

/// Publishes a committed board event. A post hidden by a moderator goes out without its
/// title, body and tags: the streams are public, and the post is now for staff and its author.
pub async fn publish(state: BoardOutlets<'_>, event: BoardEvent) {
    // A moderator may have hidden a new post before its creation went out: look again.
    let event = match event {
        BoardEvent::PostCreated { post } => match state.store.find_post(post.id).await {
            Ok(Some(now)) if now.status == PostStatus::Moderated => {
                BoardEvent::PostModerated { post: now }
            }
            _ => BoardEvent::PostCreated { post },
        },
        other => other,
    };
    let event = match event {
        BoardEvent::PostModerated { post } if post.status == PostStatus::Moderated => {
            BoardEvent::PostModerated { post: hidden(post) }
        }
        other => other,
    };
    let summary = summary(&event);
    // No subscribers is not an error.
    let _ = state.board_events.send(Arc::new(event));
    match state
        .world
        .call(move |world, _| world.push_event(summary))
        .await
    {
        Ok(true) => {}
        Ok(false) | Err(_) => {
            state.metrics.board_world_events_dropped.inc();
            tracing::warn!("a board event did not reach the world stream");
        }
    }
}

/// The public face of a hidden post.
fn hidden(post: BoardPost) -> BoardPost {
    BoardPost {
        title: HIDDEN_TITLE.into(),
        body: String::new(),
        tags: Vec::new(),
        ..post
    }
}

/// The title a hidden post shows on the streams.
pub const HIDDEN_TITLE: &str = "[hidden by a moderator]";

fn summary(event: &BoardEvent) -> VillageEvent {
    match event {
        BoardEvent::PostCreated { post } => post_summary(post),
        BoardEvent::ReplyAdded { reply } => reply_summary(reply),
        BoardEvent::PostModerated { post } => VillageEvent::BoardModerated {
            post_id: post.id,
            status: post.status,
        },
    }
}

fn post_summary(post: &BoardPost) -> VillageEvent {
    VillageEvent::BoardPost {
        post_id: post.id,
        author: post.author.name.clone(),
        title: post.title.clone(),
    }
}

fn reply_summary(reply: &BoardReply) -> VillageEvent {
    VillageEvent::BoardReply {
        post_id: reply.post_id,
        reply_id: reply.id,
        author: reply.author.name.clone(),
    }
}
