//! Task chats: messages in order, listing by member.

use village_server::store::ChatOpening;

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
                    decisions: &[],
                },
                &audit("chat.open"),
                1,
            )
            .await
            .unwrap();
        assert_eq!(chat.human_name, "hana");
        assert_eq!(first.body, "hello");
        store
            .insert_chat_message(chat.id, &agent, "on it", &[], &audit("chat.message"), 2)
            .await
            .unwrap();
        store
            .insert_chat_message(chat.id, &human, "thanks", &[], &audit("chat.message"), 3)
            .await
            .unwrap();
        let messages = store.list_chat_messages(chat.id, 10).await.unwrap();
        assert_eq!(
            messages.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(),
            vec!["hello", "on it", "thanks"]
        );
        let latest = store.list_chat_messages(chat.id, 2).await.unwrap();
        assert_eq!(
            latest.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(),
            vec!["on it", "thanks"]
        );
        assert_eq!(
            store
                .list_chats(Some(human.account_id), None, 10)
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
