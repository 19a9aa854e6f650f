//! Many writers on one write path at once: posts, replies racing for a post's last slots, chats
//! and their messages, tool-call reports and their retries, and kill-switch changes. Every call
//! gets an answer (no "database is locked"), and what is stored afterwards is consistent.

use shared::runtime::Hold;
use shared::tool_call::{ToolCallReport, ToolKind, ToolOutcome};
use shared::{AgentStatus, Audience, PostStatus};
use village_server::store::{
    AgentControl, AuditEntry, AuditFilter, BoardQuery, ChatOpening, NewPost, NewReply, Reader,
    ReplyRefused, Screening,
};

use crate::board::authors;
use crate::{CALLS, assert_none_failed, audit, concurrently, each_backend};

#[tokio::test]
async fn concurrent_posts_are_all_stored_with_their_tags() {
    // Sixteen posts written at once: all succeed with distinct ids, and each is found by its tag.
    let (stores, _dir) = each_backend().await;
    for store in &stores {
        let (human, _) = authors(store).await;
        let created = concurrently(|i| {
            let new = NewPost {
                author: human.clone(),
                audience: Audience::Public,
                title: format!("post {i}"),
                body: "body".into(),
                tags: vec!["crowd".into(), format!("t{i}")],
                screening: Screening::default(),
            };
            async move { store.insert_post(&new, &audit("board.post"), 1).await }
        })
        .await;
        assert_none_failed(store, "post creations", &created);
        let query = BoardQuery {
            tag: Some("crowd".into()),
            limit: 100,
            ..BoardQuery::default()
        };
        let mut ids: Vec<u64> = created.into_iter().map(|p| p.unwrap().id.0).collect();
        let mut listed: Vec<u64> = store
            .list_posts(&query)
            .await
            .unwrap()
            .into_iter()
            .map(|p| p.id.0)
            .collect();
        ids.sort_unstable();
        listed.sort_unstable();
        assert_eq!(ids, listed, "{:?}", store.backend());
        ids.dedup();
        assert_eq!(ids.len(), CALLS);
    }
}

#[tokio::test]
async fn concurrent_replies_fill_a_post_exactly_to_its_limit() {
    // Sixteen replies race for eight slots: exactly eight are stored and counted, and the rest
    // are refused as full, none with an error.
    let (stores, _dir) = each_backend().await;
    for store in &stores {
        let (human, agent) = authors(store).await;
        let post = NewPost {
            author: agent.clone(),
            audience: Audience::Public,
            title: "ask".into(),
            body: "body".into(),
            tags: Vec::new(),
            screening: Screening::default(),
        };
        let post = store.insert_post(&post, &audit("p"), 1).await.unwrap();
        let slots = CALLS / 2;
        let added = concurrently(|i| {
            let reply = NewReply {
                post_id: post.id,
                author: human.clone(),
                body: format!("reply {i}"),
                replies_per_post_max: u32::try_from(slots).unwrap(),
                screening: Screening::default(),
            };
            async move { store.insert_reply(&reply, &audit("board.reply"), 2).await }
        })
        .await;
        assert_none_failed(store, "replies", &added);
        let added: Vec<_> = added.into_iter().map(Result::unwrap).collect();
        let stored = added.iter().filter(|r| r.is_ok()).count();
        let full = added
            .iter()
            .filter(|r| matches!(r, Err(ReplyRefused::Full)))
            .count();
        assert_eq!(
            (stored, full),
            (slots, CALLS - slots),
            "{:?}",
            store.backend()
        );
        let now = store.find_post(post.id).await.unwrap().unwrap();
        assert_eq!(now.reply_count as usize, slots);
        assert_eq!(now.status, PostStatus::Open);
        let listed = store.list_replies(post.id, Reader::default(), 100).await;
        assert_eq!(listed.unwrap().len(), slots);
    }
}

#[tokio::test]
async fn concurrent_chats_and_messages_are_all_stored() {
    // Sixteen chats opened while sixteen messages go to one chat: all succeed, the person has
    // seventeen chats, and the busy chat holds its first message and all sixteen others.
    let (stores, _dir) = each_backend().await;
    for store in &stores {
        let (human, agent) = authors(store).await;
        let screening = Screening::default();
        let opening = |title| ChatOpening {
            human: &human,
            agent: agent.agent_id.unwrap(),
            title,
            body: "hello",
            screening: &screening,
        };
        let (busy, _) = store
            .insert_chat(&opening("busy"), &audit("chat.open"), 1)
            .await
            .unwrap();
        let busy_id = busy.id;
        let open = concurrently(|_| {
            let opening = opening("new");
            async move { store.insert_chat(&opening, &audit("chat.open"), 2).await }
        });
        let send = concurrently(|i| {
            let (author, screening, body) = (&agent, &screening, format!("message {i}"));
            async move {
                store
                    .insert_chat_message(busy_id, author, &body, screening, &audit("c"), 2)
                    .await
            }
        });
        let (opened, sent) = tokio::join!(open, send);
        assert_none_failed(store, "chat openings", &opened);
        assert_none_failed(store, "messages", &sent);
        let chats = store.list_chats(Some(human.account_id.0), None, 100).await;
        assert_eq!(chats.unwrap().len(), 1 + CALLS, "{:?}", store.backend());
        let messages = store.list_chat_messages(busy_id, Reader::default(), 100);
        assert_eq!(messages.await.unwrap().len(), 1 + CALLS);
    }
}

fn report(call_id: String) -> ToolCallReport {
    ToolCallReport {
        call_id,
        tool: ToolKind::Shell,
        input: "ls".into(),
        cwd: "/work".into(),
        outcome: ToolOutcome::Ok,
        exit_code: Some(0),
        duration_ms: 3,
        output: "a\n".into(),
        output_bytes: 2,
    }
}

#[tokio::test]
async fn concurrent_tool_call_reports_and_retries_record_each_call_once() {
    // Sixteen retries of one call and sixteen distinct calls, at once: the retried call is
    // written once (one caller learns it is new, all get its id), the others all once each.
    let (stores, _dir) = each_backend().await;
    for store in &stores {
        let (_, agent) = authors(store).await;
        let ada = agent.agent_id.unwrap();
        let retried = report("call-same".into());
        let retries = concurrently(|_| {
            let retried = &retried;
            async move {
                store
                    .record_tool_call(ada, retried, &audit("agent.tool_call"), 1)
                    .await
            }
        });
        let distinct = concurrently(|i| {
            let report = report(format!("call-{i}"));
            async move {
                store
                    .record_tool_call(ada, &report, &audit("agent.tool_call"), 1)
                    .await
            }
        });
        let (retries, distinct) = tokio::join!(retries, distinct);
        assert_none_failed(store, "retried reports", &retries);
        assert_none_failed(store, "reports", &distinct);
        let retries: Vec<(u64, bool)> = retries.into_iter().map(Result::unwrap).collect();
        assert_eq!(retries.iter().filter(|(_, again)| !again).count(), 1);
        assert!(retries.iter().all(|(id, _)| *id == retries[0].0));
        assert!(distinct.into_iter().all(|r| !r.unwrap().1));
        let calls = store.list_tool_calls(ada, None, 100).await.unwrap();
        assert_eq!(calls.len(), 1 + CALLS, "{:?}", store.backend());
        let filter = AuditFilter {
            action: Some("agent.tool_call".into()),
            limit: 100,
            ..AuditFilter::default()
        };
        assert_eq!(store.list_audit(&filter).await.unwrap().len(), 1 + CALLS);
    }
}

/// The hold and agent status that kill-switch change `i` writes.
fn control_of(i: usize) -> (Option<Hold>, AgentStatus) {
    [
        (None, AgentStatus::Online),
        (Some(Hold::Pause), AgentStatus::Paused),
        (Some(Hold::Stop), AgentStatus::Paused),
        (Some(Hold::Quarantine), AgentStatus::Quarantined),
    ][i % 4]
}

#[tokio::test]
async fn concurrent_kill_switch_changes_leave_control_and_status_agreeing() {
    // Sixteen kill-switch changes on one agent at once: all succeed, and the stored hold, the
    // agent's status and the newest audit entry all name the same change.
    let (stores, _dir) = each_backend().await;
    for store in &stores {
        let (_, agent) = authors(store).await;
        let ada = agent.agent_id.unwrap();
        let target = format!("agent:{}", ada.0);
        let saved = concurrently(|i| {
            let (hold, status) = control_of(i);
            let control = AgentControl {
                hold,
                reason: format!("change {i}"),
                updated_at_ms: 2,
                ..AgentControl::released(ada)
            };
            let audit = AuditEntry {
                target: target.clone(),
                detail: format!("change {i}"),
                ..audit("admin.agent_control")
            };
            async move {
                store
                    .save_agent_control(&control, status, None, &audit)
                    .await
            }
        })
        .await;
        assert_none_failed(store, "kill-switch changes", &saved);
        let filter = AuditFilter {
            target: Some(target.clone()),
            action: Some("admin.agent_control".into()),
            limit: 100,
            ..AuditFilter::default()
        };
        let entries = store.list_audit(&filter).await.unwrap();
        assert_eq!(entries.len(), CALLS);
        let last: usize = entries[0].detail["change ".len()..].parse().unwrap();
        let control = store.find_agent_control(ada).await.unwrap();
        assert_eq!(
            control.reason,
            format!("change {last}"),
            "{:?}",
            store.backend()
        );
        assert_eq!(control.hold, control_of(last).0);
        let agents = store.list_agents().await.unwrap();
        let (record, _) = agents.iter().find(|(a, _)| a.view.id == ada).unwrap();
        assert_eq!(record.view.status, control_of(last).1);
    }
}
