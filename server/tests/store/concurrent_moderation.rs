//! Moderators deciding on one post, reply or chat message at the same time, while others write
//! beside them: every call succeeds, exactly one learns that the text had been held (so it is
//! published once), and the text ends as the last decision in the audit log left it.

use shared::{Author, PostId, PostStatus};
use village_server::store::{
    AuditEntry, AuditFilter, ChatOpening, NewDecision, NewPost, NewReply, Screening, Store,
};

use crate::board::authors;
use crate::{CALLS, assert_none_failed, audit, concurrently, each_backend};

fn held() -> Screening {
    Screening {
        held: true,
        labels: Vec::new(),
        decisions: vec![NewDecision {
            rule: "email".into(),
            action: "hold",
            excerpt: "ana.…@…".into(),
        }],
    }
}

/// The audit entry of decision `i` on `target`; its detail names the decision.
fn decision_audit(target: &str, i: usize) -> AuditEntry {
    let mut entry = audit("board.moderate");
    entry.target = target.to_string();
    entry.detail = format!("decision {i}");
    entry
}

/// The decisions (their numbers) on `target` in the order the audit log recorded them, after
/// checking that each of the `CALLS` decisions left exactly one entry.
async fn decision_order(store: &Store, target: &str) -> Vec<usize> {
    let filter = AuditFilter {
        target: Some(target.to_string()),
        action: Some("board.moderate".into()),
        limit: 100,
        ..AuditFilter::default()
    };
    let entries = store.list_audit(&filter).await.unwrap();
    let order: Vec<usize> = entries
        .iter()
        .rev()
        .map(|e| e.detail.strip_prefix("decision ").unwrap().parse().unwrap())
        .collect();
    let mut sorted = order.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        (0..CALLS).collect::<Vec<_>>(),
        "{:?}",
        store.backend()
    );
    order
}

fn new_post(author: &Author, title: String, screening: Screening) -> NewPost {
    NewPost {
        author: author.clone(),
        audience: shared::Audience::Public,
        title,
        body: "body".into(),
        tags: vec!["concurrency".into()],
        screening,
    }
}

/// The status decision `i` asks for (`None` approves the post as it stands).
fn status_of(i: usize) -> Option<PostStatus> {
    [
        None,
        Some(PostStatus::Closed),
        Some(PostStatus::Resolved),
        Some(PostStatus::Moderated),
    ][i % 4]
}

#[tokio::test]
async fn concurrent_moderations_of_one_post_end_in_one_state() {
    // Sixteen decisions on one held post, with sixteen new posts written beside them: none
    // fails, one sees the hold, and the post carries the reason and status of the decision the
    // audit log shows last.
    let (stores, _dir) = each_backend().await;
    for store in &stores {
        let (human, _) = authors(store).await;
        let post = store
            .insert_post(&new_post(&human, "held".into(), held()), &audit("p"), 1)
            .await
            .unwrap();
        let (post_id, target) = (post.id, format!("post:{}", post.id.0));
        let moderate = concurrently(|i| {
            let audit = decision_audit(&target, i);
            async move {
                let reason = format!("decision {i}");
                store
                    .moderate_post(post_id, status_of(i), &reason, &audit, 2)
                    .await
            }
        });
        let create = concurrently(|i| {
            let new = new_post(&human, format!("beside {i}"), Screening::default());
            async move { store.insert_post(&new, &audit("board.post"), 2).await }
        });
        let (moderated, created) = tokio::join!(moderate, create);
        assert_none_failed(store, "moderations", &moderated);
        assert_none_failed(store, "post creations", &created);

        let moderated: Vec<_> = moderated.into_iter().map(|m| m.unwrap().unwrap()).collect();
        let saw_hold = moderated.iter().filter(|m| m.was_held).count();
        assert_eq!(saw_hold, 1, "{:?}", store.backend());
        // Replayed in the audit log's order, each decision answered the status it left (an
        // approval keeps the status before it), and the first one saw the hold.
        let order = decision_order(store, &target).await;
        let mut status = PostStatus::Open;
        for (turn, &i) in order.iter().enumerate() {
            status = status_of(i).unwrap_or(status);
            let m = &moderated[i];
            assert_eq!(m.item.status, status, "{:?}: decision {i}", store.backend());
            assert_eq!(m.item.moderation_reason, Some(format!("decision {i}")));
            assert_eq!(m.was_held, turn == 0, "{:?}: decision {i}", store.backend());
            assert!(!m.item.held);
        }
        let last = order[CALLS - 1];
        let now = store.find_post(post_id).await.unwrap().unwrap();
        assert_eq!(now.moderation_reason, Some(format!("decision {last}")));
        assert_eq!(now.status, status);
        assert!(!now.held);
        assert!(store.list_review_queue(100).await.unwrap().posts.is_empty());
        let mut ids: Vec<PostId> = created.into_iter().map(|p| p.unwrap().id).collect();
        ids.sort_unstable_by_key(|id| id.0);
        ids.dedup();
        assert_eq!(ids.len(), CALLS);
    }
}

#[tokio::test]
async fn concurrent_moderations_of_one_reply_end_in_one_state() {
    // Sixteen hide-or-approve decisions on one held reply, with sixteen replies added beside
    // them: none fails, one sees the hold, and the reply is hidden exactly when the decision
    // the audit log shows last hid it.
    let (stores, _dir) = each_backend().await;
    for store in &stores {
        let (human, agent) = authors(store).await;
        let post = store
            .insert_post(
                &new_post(&agent, "ask".into(), Screening::default()),
                &audit("p"),
                1,
            )
            .await
            .unwrap();
        let reply = |body: String, screening| NewReply {
            post_id: post.id,
            author: human.clone(),
            body,
            replies_per_post_max: 100,
            screening,
        };
        let held_reply = store
            .insert_reply(&reply("mail me".into(), held()), &audit("r"), 1)
            .await
            .unwrap()
            .unwrap();
        let (reply_id, target) = (held_reply.id, format!("reply:{}", held_reply.id));
        let hide = |i: usize| i % 2 == 1;
        let moderate = concurrently(|i| {
            let audit = decision_audit(&target, i);
            async move {
                store
                    .moderate_reply(reply_id, hide(i), "reason", &audit, 2)
                    .await
            }
        });
        let add = concurrently(|i| {
            let new = reply(format!("beside {i}"), Screening::default());
            async move { store.insert_reply(&new, &audit("board.reply"), 2).await }
        });
        let (moderated, added) = tokio::join!(moderate, add);
        assert_none_failed(store, "moderations", &moderated);
        assert_none_failed(store, "replies", &added);

        let moderated: Vec<_> = moderated.into_iter().map(|m| m.unwrap().unwrap()).collect();
        let saw_hold = moderated.iter().filter(|m| m.was_held).count();
        assert_eq!(saw_hold, 1, "{:?}", store.backend());
        let order = decision_order(store, &target).await;
        for (turn, &i) in order.iter().enumerate() {
            assert_eq!(moderated[i].item.hidden, hide(i));
            assert_eq!(moderated[i].was_held, turn == 0, "{:?}", store.backend());
        }
        let last = order[CALLS - 1];
        let now = store.find_reply(held_reply.id).await.unwrap().unwrap();
        assert_eq!(now.hidden, hide(last), "{:?}", store.backend());
        assert!(!now.held);
        assert!(added.into_iter().all(|r| r.unwrap().is_ok()));
        let post = store.find_post(post.id).await.unwrap().unwrap();
        assert_eq!(post.reply_count as usize, 1 + CALLS);
    }
}

#[tokio::test]
async fn concurrent_moderations_of_one_chat_message_end_in_one_state() {
    // Sixteen hide-or-approve decisions on one held chat message, with sixteen messages sent
    // beside them: none fails, one sees the hold, and the message is hidden exactly when the
    // decision the audit log shows last hid it.
    let (stores, _dir) = each_backend().await;
    for store in &stores {
        let (human, agent) = authors(store).await;
        let opening = ChatOpening {
            human: &human,
            agent: agent.agent_id.unwrap(),
            title: "task",
            body: "hello",
            screening: &Screening::default(),
        };
        let (chat, _) = store
            .insert_chat(&opening, &audit("chat.open"), 1)
            .await
            .unwrap();
        let message = store
            .insert_chat_message(chat.id, &human, "mail me", &held(), &audit("c"), 1)
            .await
            .unwrap();
        let (chat_id, message_id) = (chat.id, message.id);
        let target = format!("chat:{chat_id}/message:{message_id}");
        let hide = |i: usize| i.is_multiple_of(3);
        let moderate = concurrently(|i| {
            let audit = decision_audit(&target, i);
            async move {
                store
                    .moderate_chat_message(message_id, hide(i), "reason", &audit, 2)
                    .await
            }
        });
        let send = concurrently(|i| {
            let (author, body) = (&agent, format!("beside {i}"));
            async move {
                let screening = Screening::default();
                store
                    .insert_chat_message(chat_id, author, &body, &screening, &audit("c"), 2)
                    .await
            }
        });
        let (moderated, sent) = tokio::join!(moderate, send);
        assert_none_failed(store, "moderations", &moderated);
        assert_none_failed(store, "messages", &sent);

        let moderated: Vec<_> = moderated.into_iter().map(|m| m.unwrap().unwrap()).collect();
        let saw_hold = moderated.iter().filter(|m| m.was_held).count();
        assert_eq!(saw_hold, 1, "{:?}", store.backend());
        let order = decision_order(store, &target).await;
        for (turn, &i) in order.iter().enumerate() {
            assert_eq!(moderated[i].item.hidden, hide(i));
            assert_eq!(moderated[i].was_held, turn == 0, "{:?}", store.backend());
        }
        let last = order[CALLS - 1];
        let staff = village_server::store::Reader {
            staff: true,
            account_id: None,
        };
        let messages = store.list_chat_messages(chat.id, staff, 100).await.unwrap();
        let now = messages.iter().find(|m| m.id == message.id).unwrap();
        assert_eq!(now.hidden, hide(last), "{:?}", store.backend());
        assert!(!now.held);
        assert_eq!(messages.len(), 2 + CALLS);
        assert!(store.list_chat_review_queue(10).await.unwrap().is_empty());
    }
}
