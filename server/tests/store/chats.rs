//! Task chats: messages in order, listing by member.

use village_server::store::{ChatOpening, NewDecision, Reader, Screening};

use crate::board::authors;
use crate::{audit, each_backend};

#[tokio::test]
async fn chats_keep_their_messages_in_order_and_list_by_member() {
    // A chat opens with its first message; later messages append in order; listing by the
    // person or by the agent finds it, and by anyone else does not.
    let (stores, _dir) = each_backend().await;
    for store in &stores {
        let (human, agent) = authors(store).await;
        let ada = agent.agent_id.unwrap();
        let (chat, first) = store
            .insert_chat(
                &ChatOpening {
                    human: &human,
                    agent: ada,
                    title: "task",
                    body: "hello",
                    screening: &Screening::default(),
                },
                &audit("chat.open"),
                1,
            )
            .await
            .unwrap();
        assert_eq!(chat.human_name, "hana");
        assert_eq!(first.body, "hello");
        store
            .insert_chat_message(
                chat.id,
                &agent,
                "on it",
                &Screening::default(),
                &audit("chat.message"),
                2,
            )
            .await
            .unwrap();
        store
            .insert_chat_message(
                chat.id,
                &human,
                "thanks",
                &Screening::default(),
                &audit("chat.message"),
                3,
            )
            .await
            .unwrap();
        let messages = store
            .list_chat_messages(chat.id, Reader::default(), 10)
            .await
            .unwrap();
        assert_eq!(
            messages.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(),
            vec!["hello", "on it", "thanks"]
        );
        let latest = store
            .list_chat_messages(chat.id, Reader::default(), 2)
            .await
            .unwrap();
        assert_eq!(
            latest.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(),
            vec!["on it", "thanks"]
        );
        assert_eq!(
            store
                .list_chats(Some(human.account_id.0), None, 10)
                .await
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            store.list_chats(None, Some(ada), 10).await.unwrap().len(),
            1
        );
        assert!(
            store
                .list_chats(Some(9_999), None, 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            store
                .find_chat(chat.id)
                .await
                .unwrap()
                .unwrap()
                .updated_at_ms,
            3
        );
    }
}

#[tokio::test]
async fn a_held_chat_message_is_seen_by_its_author_until_a_moderator_approves_it() {
    // The agent's listing leaves the held message out, the author's and staff's include it;
    // it waits in the queue; approving shows it to the agent and empties the queue.
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
        let held = Screening {
            held: true,
            labels: Vec::new(),
            decisions: vec![NewDecision {
                rule: "email".into(),
                action: "hold",
                excerpt: "hana.…".into(),
            }],
        };
        let message = store
            .insert_chat_message(
                chat.id,
                &human,
                "hana@example.org",
                &held,
                &audit("chat.message"),
                2,
            )
            .await
            .unwrap();
        assert!(message.held);
        let as_agent = Reader {
            staff: false,
            account_id: Some(agent.account_id.0),
        };
        let as_author = Reader {
            staff: false,
            account_id: Some(human.account_id.0),
        };
        let count = |reader| async move {
            store
                .list_chat_messages(chat.id, reader, 10)
                .await
                .unwrap()
                .len()
        };
        assert_eq!(count(as_agent).await, 1);
        assert_eq!(count(as_author).await, 2);
        assert_eq!(
            count(Reader {
                staff: true,
                account_id: None
            })
            .await,
            2
        );
        let queue = store.list_chat_review_queue(10).await.unwrap();
        assert_eq!(
            queue.iter().map(|m| m.id).collect::<Vec<_>>(),
            vec![message.id]
        );

        let approved = store
            .moderate_chat_message(message.id, false, "a shared address", &audit("m"), 3)
            .await
            .unwrap()
            .unwrap();
        assert!(approved.was_held && !approved.item.held);
        assert_eq!(count(as_agent).await, 2);
        assert!(store.list_chat_review_queue(10).await.unwrap().is_empty());
        assert!(
            store
                .moderate_chat_message(shared::MessageId(999), true, "x", &audit("m"), 4)
                .await
                .unwrap()
                .is_none()
        );
    }
}
