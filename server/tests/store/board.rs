//! The bulletin board: posts, filters, replies and their guards, moderation, agent feeds.

use shared::{AccountId, AgentId, Audience, Author, PostStatus};
use village_server::store::{
    BoardQuery, NewAccount, NewAgent, NewPost, NewReply, Reader, ReplyRefused, Screening, Store,
};

use crate::{audit, each_backend};

/// A human author and an agent author, with their accounts.
pub async fn authors(store: &Store) -> (Author, Author) {
    let human = store
        .insert_account(
            &NewAccount {
                username: "hana".into(),
                role: "human".into(),
                password_hash: Some("x".into()),
                token_hash: None,
                agent_id: None,
            },
            &audit("r"),
            1,
        )
        .await
        .unwrap();
    let agent = NewAgent {
        display_name: "Ada".into(),
        persona: String::new(),
        home: None,
        profile: serde_json::json!({}),
        brain: shared::runtime::AgentBrain::Scripted,
    };
    let (record, account) = store
        .insert_agent_with_account(&agent, "t", &audit("a"), 1)
        .await
        .unwrap();
    (
        Author {
            account_id: human.id,
            role: "human".into(),
            agent_id: None,
            name: "hana".into(),
        },
        Author {
            account_id: AccountId(account),
            role: "agent".into(),
            agent_id: Some(record.view.id),
            name: "Ada".into(),
        },
    )
}

fn post(author: &Author, title: &str, tags: &[&str], audience: Audience) -> NewPost {
    NewPost {
        author: author.clone(),
        audience,
        title: title.into(),
        body: "body\nline two".into(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        screening: Screening::default(),
    }
}

fn query(limit: u32) -> BoardQuery {
    BoardQuery {
        limit,
        ..BoardQuery::default()
    }
}

#[tokio::test]
async fn posts_filter_by_tag_status_author_audience_and_page_by_cursor() {
    // Each filter narrows the listing, pages run newest first, and a moderated post shows only
    // to staff and its author.
    let (stores, _dir) = each_backend().await;
    for store in &stores {
        let (human, agent) = authors(store).await;
        let agent_id = agent.agent_id.unwrap();
        let first = store
            .insert_post(
                &post(
                    &agent,
                    "need rust help",
                    &["rust", "help"],
                    Audience::Humans,
                ),
                &audit("board.post"),
                10,
            )
            .await
            .unwrap();
        let second = store
            .insert_post(
                &post(&human, "to ada", &["task"], Audience::Agent(agent_id)),
                &audit("board.post"),
                11,
            )
            .await
            .unwrap();
        let third = store
            .insert_post(
                &post(&human, "hello all", &[], Audience::Public),
                &audit("board.post"),
                12,
            )
            .await
            .unwrap();
        assert_eq!(first.tags, vec!["rust", "help"]);
        assert_eq!(first.body, "body\nline two");
        assert_eq!(second.audience, Audience::Agent(agent_id));
        let ids =
            |posts: Vec<shared::BoardPost>| posts.into_iter().map(|p| p.id).collect::<Vec<_>>();
        assert_eq!(
            ids(store.list_posts(&query(10)).await.unwrap()),
            vec![third.id, second.id, first.id]
        );
        let tagged = BoardQuery {
            tag: Some("rust".into()),
            ..query(10)
        };
        assert_eq!(
            ids(store.list_posts(&tagged).await.unwrap()),
            vec![first.id]
        );
        let by_human = BoardQuery {
            author_account_id: Some(human.account_id.0),
            ..query(10)
        };
        assert_eq!(
            ids(store.list_posts(&by_human).await.unwrap()),
            vec![third.id, second.id]
        );
        let to_ada = BoardQuery {
            audience: Some(Audience::Agent(agent_id)),
            ..query(10)
        };
        assert_eq!(
            ids(store.list_posts(&to_ada).await.unwrap()),
            vec![second.id]
        );
        let page = store.list_posts(&query(2)).await.unwrap();
        let next = BoardQuery {
            before_id: Some(page[1].id.0),
            ..query(2)
        };
        assert_eq!(ids(store.list_posts(&next).await.unwrap()), vec![first.id]);
        let hidden = store
            .moderate_post(
                third.id,
                Some(PostStatus::Moderated),
                "spam",
                &audit("board.moderate"),
                13,
            )
            .await
            .unwrap()
            .unwrap()
            .item;
        assert_eq!(hidden.moderation_reason.as_deref(), Some("spam"));
        assert_eq!(
            ids(store.list_posts(&query(10)).await.unwrap()),
            vec![second.id, first.id]
        );
        let staff = BoardQuery {
            reader: Reader {
                staff: true,
                account_id: None,
            },
            ..query(10)
        };
        assert_eq!(store.list_posts(&staff).await.unwrap().len(), 3);
        let author_view = BoardQuery {
            reader: Reader {
                staff: false,
                account_id: Some(human.account_id.0),
            },
            ..query(10)
        };
        assert_eq!(store.list_posts(&author_view).await.unwrap().len(), 3);
        let open = BoardQuery {
            status: Some(PostStatus::Moderated),
            reader: Reader {
                staff: true,
                account_id: None,
            },
            ..query(10)
        };
        assert_eq!(ids(store.list_posts(&open).await.unwrap()), vec![third.id]);
        assert!(
            store
                .moderate_post(
                    shared::PostId(999),
                    Some(PostStatus::Closed),
                    "x",
                    &audit("m"),
                    14
                )
                .await
                .unwrap()
                .is_none()
        );
    }
}

#[tokio::test]
async fn replies_need_an_open_post_with_room() {
    // Replies are counted; a full post, a locked post and an unknown post refuse a reply
    // without writing it or its audit entry.
    let (stores, _dir) = each_backend().await;
    for store in &stores {
        let (human, agent) = authors(store).await;
        let p = store
            .insert_post(
                &post(&agent, "q", &[], Audience::Public),
                &audit("board.post"),
                1,
            )
            .await
            .unwrap();
        let reply = |post_id, max| NewReply {
            post_id,
            author: human.clone(),
            body: "answer".into(),
            replies_per_post_max: max,
            screening: Screening::default(),
        };
        store
            .insert_reply(&reply(p.id, 2), &audit("board.reply"), 2)
            .await
            .unwrap()
            .unwrap();
        store
            .insert_reply(&reply(p.id, 2), &audit("board.reply"), 3)
            .await
            .unwrap()
            .unwrap();
        let audits = store.count_audit().await.unwrap();
        assert!(matches!(
            store
                .insert_reply(&reply(p.id, 2), &audit("board.reply"), 4)
                .await
                .unwrap(),
            Err(ReplyRefused::Full)
        ));
        assert_eq!(store.find_post(p.id).await.unwrap().unwrap().reply_count, 2);
        store
            .moderate_post(
                p.id,
                Some(PostStatus::Closed),
                "done",
                &audit("board.moderate"),
                5,
            )
            .await
            .unwrap();
        assert!(matches!(
            store
                .insert_reply(&reply(p.id, 10), &audit("board.reply"), 6)
                .await
                .unwrap(),
            Err(ReplyRefused::NotOpen(PostStatus::Closed))
        ));
        assert!(matches!(
            store
                .insert_reply(&reply(shared::PostId(404), 10), &audit("board.reply"), 7)
                .await
                .unwrap(),
            Err(ReplyRefused::UnknownPost)
        ));
        assert_eq!(
            store
                .list_replies(p.id, Reader::default(), 10)
                .await
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            store.count_audit().await.unwrap(),
            audits + 1,
            "only the moderation was audited"
        );
    }
}

#[tokio::test]
async fn an_agent_feed_holds_replies_by_others_and_posts_to_it() {
    // The feed lists others' replies to the agent's posts and visible posts addressed to it,
    // after the cursor; the agent's own replies and hidden posts are left out.
    let (stores, _dir) = each_backend().await;
    for store in &stores {
        let (human, agent) = authors(store).await;
        let ada = agent.agent_id.unwrap();
        let mine = store
            .insert_post(&post(&agent, "q", &[], Audience::Humans), &audit("p"), 1)
            .await
            .unwrap();
        let by = |author: &Author| NewReply {
            post_id: mine.id,
            author: author.clone(),
            body: "b".into(),
            replies_per_post_max: 10,
            screening: Screening::default(),
        };
        let r1 = store
            .insert_reply(&by(&human), &audit("r"), 2)
            .await
            .unwrap()
            .unwrap();
        store
            .insert_reply(&by(&agent), &audit("r"), 3)
            .await
            .unwrap()
            .unwrap();
        let r3 = store
            .insert_reply(&by(&human), &audit("r"), 4)
            .await
            .unwrap()
            .unwrap();
        let replies = store.list_replies_to_agent(ada, 0, 10).await.unwrap();
        assert_eq!(
            replies.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![r1.id, r3.id]
        );
        assert_eq!(
            store
                .list_replies_to_agent(ada, r1.id.0, 10)
                .await
                .unwrap()
                .len(),
            1
        );
        assert!(
            store
                .list_replies_to_agent(AgentId(999), 0, 10)
                .await
                .unwrap()
                .is_empty()
        );
        let to_ada = store
            .insert_post(
                &post(&human, "for ada", &[], Audience::Agent(ada)),
                &audit("p"),
                5,
            )
            .await
            .unwrap();
        let hidden = store
            .insert_post(
                &post(&human, "hidden", &[], Audience::Agent(ada)),
                &audit("p"),
                6,
            )
            .await
            .unwrap();
        store
            .moderate_post(hidden.id, Some(PostStatus::Moderated), "x", &audit("m"), 7)
            .await
            .unwrap();
        let posts = store.list_posts_to_agent(ada, 0, 10).await.unwrap();
        assert_eq!(
            posts.iter().map(|p| p.id).collect::<Vec<_>>(),
            vec![to_ada.id]
        );
        assert!(
            store
                .list_posts_to_agent(ada, to_ada.id.0, 10)
                .await
                .unwrap()
                .is_empty()
        );
    }
}
