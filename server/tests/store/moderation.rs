//! The compliance guard's decisions and the moderation queue: held texts are seen only by their
//! authors and staff, a decision leaves the queue, and decisions cannot be changed.

use shared::{Audience, PostId, PostStatus};
use village_server::store::{BoardQuery, NewDecision, NewPost, NewReply, Reader, Screening, Store};

use crate::board::authors;
use crate::{audit, each_backend_with_urls, execute_raw};

fn held(rule: &str) -> Screening {
    Screening {
        held: true,
        labels: Vec::new(),
        decisions: vec![NewDecision {
            rule: rule.into(),
            action: "hold",
            excerpt: "ana.…@…".into(),
        }],
    }
}

fn labelled(rule: &str) -> Screening {
    Screening {
        held: false,
        labels: vec![rule.into()],
        decisions: vec![NewDecision {
            rule: rule.into(),
            action: "label",
            excerpt: "evil.example".into(),
        }],
    }
}

async fn titles(store: &Store, reader: Reader) -> Vec<String> {
    let query = BoardQuery {
        limit: 20,
        reader,
        ..BoardQuery::default()
    };
    let posts = store.list_posts(&query).await.unwrap();
    posts.into_iter().map(|p| p.title).collect()
}

#[tokio::test]
async fn a_held_post_is_seen_by_its_author_and_staff_until_approved() {
    // The held post is missing for others and for its addressee agent, present for the author
    // and staff, queued with its decision; approving shows it to all and empties the queue.
    let (stores, _dir) = each_backend_with_urls().await;
    for (store, _) in &stores {
        let (human, agent) = authors(store).await;
        let ada = agent.agent_id.unwrap();
        let new = NewPost {
            author: human.clone(),
            audience: Audience::Agent(ada),
            title: "mail me".into(),
            body: "ana.lopez@example.org".into(),
            tags: Vec::new(),
            screening: held("email"),
        };
        let post = store
            .insert_post(&new, &audit("board.post"), 1)
            .await
            .unwrap();
        assert!(post.held);
        let others = Reader {
            staff: false,
            account_id: Some(agent.account_id.0),
        };
        let author = Reader {
            staff: false,
            account_id: Some(human.account_id.0),
        };
        let staff = Reader {
            staff: true,
            account_id: None,
        };
        assert!(titles(store, others).await.is_empty());
        assert!(titles(store, Reader::default()).await.is_empty());
        assert_eq!(titles(store, author).await, vec!["mail me"]);
        assert_eq!(titles(store, staff).await, vec!["mail me"]);
        assert!(
            store
                .list_posts_to_agent(ada, 0, 10)
                .await
                .unwrap()
                .is_empty()
        );

        let queue = store.list_review_queue(10).await.unwrap();
        assert_eq!(queue.posts.len(), 1);
        let decisions = store
            .list_decisions(Some(&format!("post:{}", post.id)), true, None, 10)
            .await
            .unwrap();
        assert_eq!(decisions.len(), 1);
        assert_eq!(
            (decisions[0].rule.as_str(), decisions[0].action.as_str()),
            ("email", "hold")
        );
        assert_eq!(decisions[0].author_account_id, human.account_id.0);

        let approved = store
            .moderate_post(post.id, None, "a public address", &audit("m"), 2)
            .await
            .unwrap()
            .unwrap();
        assert!(approved.was_held);
        assert!(!approved.item.held);
        assert_eq!(approved.item.status, PostStatus::Open);
        assert_eq!(titles(store, others).await, vec!["mail me"]);
        assert_eq!(
            store.list_posts_to_agent(ada, 0, 10).await.unwrap().len(),
            1
        );
        assert!(store.list_review_queue(10).await.unwrap().posts.is_empty());
        assert!(
            store
                .moderate_post(PostId(999), None, "x", &audit("m"), 3)
                .await
                .unwrap()
                .is_none()
        );
    }
}

#[tokio::test]
async fn labelled_and_held_replies_are_queued_and_a_hidden_reply_stays_with_its_author() {
    // A labelled reply is visible with its label and queued; a held reply is seen only by its
    // author and staff; hiding it keeps it so, approving the labelled one leaves it visible.
    let (stores, _dir) = each_backend_with_urls().await;
    for (store, _) in &stores {
        let (human, agent) = authors(store).await;
        let post = NewPost {
            author: agent.clone(),
            audience: Audience::Public,
            title: "help".into(),
            body: "which crate?".into(),
            tags: Vec::new(),
            screening: Screening::default(),
        };
        let post = store.insert_post(&post, &audit("p"), 1).await.unwrap();
        let reply = |body: &str, screening| NewReply {
            post_id: post.id,
            author: human.clone(),
            body: body.into(),
            replies_per_post_max: 10,
            screening,
        };
        let link = store
            .insert_reply(&reply("see evil.example", labelled("link")), &audit("r"), 2)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(link.labels, vec!["link"]);
        let mail = store
            .insert_reply(
                &reply("ana.lopez@example.org", held("email")),
                &audit("r"),
                3,
            )
            .await
            .unwrap()
            .unwrap();
        let agent_reads = Reader {
            staff: false,
            account_id: Some(agent.account_id.0),
        };
        let author_reads = Reader {
            staff: false,
            account_id: Some(human.account_id.0),
        };
        let seen = store.list_replies(post.id, agent_reads, 10).await.unwrap();
        assert_eq!(seen.iter().map(|r| r.id).collect::<Vec<_>>(), vec![link.id]);
        let to_agent = store
            .list_replies_to_agent(agent.agent_id.unwrap(), 0, 10)
            .await
            .unwrap();
        assert_eq!(to_agent.len(), 1);
        assert_eq!(
            store
                .list_replies(post.id, author_reads, 10)
                .await
                .unwrap()
                .len(),
            2
        );
        assert_eq!(store.list_review_queue(10).await.unwrap().replies.len(), 2);
        let post_decisions = store
            .list_decisions(Some(&format!("post:{}", post.id)), true, None, 10)
            .await
            .unwrap();
        assert_eq!(
            post_decisions.len(),
            2,
            "a post's target covers its replies"
        );
        let own = store
            .list_decisions(Some(&format!("post:{}", post.id)), false, None, 10)
            .await
            .unwrap();
        assert!(own.is_empty(), "the post itself had no findings: {own:?}");

        let hidden = store
            .moderate_reply(mail.id, true, "personal data", &audit("m"), 4)
            .await
            .unwrap()
            .unwrap();
        assert!(hidden.was_held && hidden.item.hidden && !hidden.item.held);
        store
            .moderate_reply(link.id, false, "a fine link", &audit("m"), 5)
            .await
            .unwrap()
            .unwrap();
        assert!(
            store
                .list_review_queue(10)
                .await
                .unwrap()
                .replies
                .is_empty()
        );
        assert_eq!(
            store
                .list_replies(post.id, agent_reads, 10)
                .await
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            store
                .list_replies(post.id, author_reads, 10)
                .await
                .unwrap()
                .len(),
            2
        );
        assert!(
            store
                .moderate_reply(shared::ReplyId(999), false, "x", &audit("m"), 6)
                .await
                .unwrap()
                .is_none()
        );
    }
}

#[tokio::test]
async fn decisions_cannot_be_changed_or_deleted() {
    // The table refuses UPDATE and DELETE on both backends, like the audit log.
    let (stores, _dir) = each_backend_with_urls().await;
    for (store, url) in &stores {
        let (human, _) = authors(store).await;
        store
            .insert_decisions(
                &held("email").decisions,
                "refused:board.post",
                human.account_id.0,
                1,
            )
            .await
            .unwrap();
        assert_eq!(
            store
                .list_decisions(None, false, None, 10)
                .await
                .unwrap()
                .len(),
            1
        );
        assert!(
            execute_raw(url, "UPDATE compliance_decisions SET excerpt = 'x'")
                .await
                .is_err()
        );
        assert!(
            execute_raw(url, "DELETE FROM compliance_decisions")
                .await
                .is_err()
        );
        assert_eq!(
            store
                .list_decisions(None, false, None, 10)
                .await
                .unwrap()
                .len(),
            1
        );
    }
}
