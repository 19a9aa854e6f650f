//! The moderation queue on the real API: what a holding rule fires on is seen only by its author
//! and staff until a moderator approves it, a labelled reply shows its label, each decision
//! leaves the queue and is audited with who and why, and people who are not staff are refused.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error, spawn_app, texts};

async fn titles(app: &TestApp, token: Option<&str>) -> Vec<String> {
    texts(
        &app.get_json_as(token, "/board/posts").await["posts"],
        "title",
    )
}

#[tokio::test]
async fn a_held_post_waits_for_a_moderator_and_labelled_replies_show_their_label() {
    let app = spawn_app().await;
    let (_, hana) = app.account("hana", "human").await;
    let (_, bram) = app.account("bram", "human").await;
    let (_, mod_token) = app.account("mia", "moderator").await;
    let (_, admin) = app.account("root", "admin").await;

    let held = app
        .post_as(
            Some(&hana),
            "/board/posts",
            &json!({"title": "Contact", "body": "write to hana [at] example [dot] org"}),
        )
        .await;
    assert_eq!(held.status(), StatusCode::CREATED);
    let held: Value = held.json().await.unwrap();
    assert_eq!(held["held"], true, "{held}");
    let id = held["id"].as_u64().unwrap();
    assert!(titles(&app, None).await.is_empty());
    assert!(titles(&app, Some(&bram)).await.is_empty());
    assert_eq!(titles(&app, Some(&hana)).await, vec!["Contact"]);
    assert_eq!(titles(&app, Some(&mod_token)).await, vec!["Contact"]);
    let hidden = app.get_as(Some(&bram), &format!("/board/posts/{id}")).await;
    assert_error(hidden, StatusCode::NOT_FOUND, "unknown_post").await;

    for token in [None, Some(bram.as_str())] {
        let refused = app.get_as(token, "/moderation/queue").await;
        let status = refused.status();
        assert!(
            status == StatusCode::FORBIDDEN || status == StatusCode::UNAUTHORIZED,
            "{status}"
        );
    }
    let queue: Value = app.get_json_as(Some(&mod_token), "/moderation/queue").await;
    let queued = &queue["posts"][0];
    assert_eq!(queued["item"]["id"], id, "{queue}");
    assert_eq!(queued["decisions"][0]["rule"], "email", "{queue}");
    assert_eq!(queued["decisions"][0]["action"], "hold", "{queue}");
    assert!(
        !queued["decisions"][0]["excerpt"]
            .as_str()
            .unwrap()
            .contains("hana [at] example"),
        "the excerpt is not masked: {queue}"
    );

    let refused = app
        .post_as(
            Some(&bram),
            &format!("/board/posts/{id}/moderate"),
            &json!({"action": "approve", "reason": "fine"}),
        )
        .await;
    assert_error(refused, StatusCode::FORBIDDEN, "forbidden_role").await;
    let approved = app
        .post_as(
            Some(&mod_token),
            &format!("/board/posts/{id}/moderate"),
            &json!({"action": "approve", "reason": "a shared mailbox, on purpose"}),
        )
        .await;
    assert_eq!(approved.status(), StatusCode::OK);
    assert_eq!(titles(&app, Some(&bram)).await, vec!["Contact"]);

    let reply = app
        .post_as(
            Some(&bram),
            &format!("/board/posts/{id}/replies"),
            &json!({"body": format!("wow{}", "!".repeat(40))}),
        )
        .await;
    assert_eq!(reply.status(), StatusCode::CREATED);
    let reply: Value = reply.json().await.unwrap();
    assert_eq!(reply["labels"], json!(["repetition"]), "{reply}");
    assert_eq!(reply["held"], false);
    let thread: Value = app.get_json(&format!("/board/posts/{id}")).await;
    assert_eq!(thread["replies"][0]["labels"], json!(["repetition"]));
    let queue: Value = app.get_json_as(Some(&admin), "/moderation/queue").await;
    assert_eq!(queue["posts"].as_array().unwrap().len(), 0, "{queue}");
    let reply_id = reply["id"].as_u64().unwrap();
    assert_eq!(queue["replies"][0]["item"]["id"], reply_id, "{queue}");
    let hidden = app
        .post_as(
            Some(&admin),
            &format!("/board/replies/{reply_id}/moderate"),
            &json!({"action": "hide", "reason": "noise"}),
        )
        .await;
    assert_eq!(hidden.status(), StatusCode::OK);
    let thread: Value = app.get_json_as(None, &format!("/board/posts/{id}")).await;
    assert_eq!(thread["replies"].as_array().unwrap().len(), 0, "{thread}");
    let own: Value = app
        .get_json_as(Some(&bram), &format!("/board/posts/{id}"))
        .await;
    assert_eq!(own["replies"][0]["hidden"], true, "{own}");
    let unknown = app
        .post_as(
            Some(&admin),
            "/board/replies/999/moderate",
            &json!({"action": "hide", "reason": "x"}),
        )
        .await;
    assert_error(unknown, StatusCode::NOT_FOUND, "unknown_reply").await;

    let audit: Value = app
        .get_json_as(Some(&admin), "/admin/audit?action=board.moderate")
        .await;
    let details = texts(&audit["entries"], "detail");
    assert!(
        details
            .iter()
            .any(|d| d == "approve: a shared mailbox, on purpose"),
        "{details:?}"
    );
    let decisions: Value = app
        .get_json_as(
            Some(&admin),
            &format!("/moderation/decisions?target=post:{id}"),
        )
        .await;
    let rules = texts(&decisions["decisions"], "rule");
    assert_eq!(rules, vec!["repetition", "email"], "{decisions}");
    app.stop().await;
}

#[tokio::test]
async fn a_blocked_text_leaves_a_decision_but_no_text() {
    // The refused post's decision is recorded against `refused:board.post`.
    let app = spawn_app().await;
    let (_, hana) = app.account("hana", "human").await;
    let (_, admin) = app.account("root", "admin").await;
    let refused = app
        .post_as(
            Some(&hana),
            "/board/posts",
            &json!({"title": "Pay", "body": "card 4111 1111 1111 1111"}),
        )
        .await;
    assert_error(
        refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "compliance_blocked",
    )
    .await;
    let decisions: Value = app
        .get_json_as(
            Some(&admin),
            "/moderation/decisions?target=refused:board.post",
        )
        .await;
    assert_eq!(
        decisions["decisions"][0]["rule"], "card_number",
        "{decisions}"
    );
    assert_eq!(decisions["decisions"][0]["action"], "block");
    app.stop().await;
}

#[tokio::test]
async fn a_held_chat_message_reaches_the_agent_only_once_a_moderator_approves_it() {
    // A person's email address in a task chat is held: the agent's reading leaves it out, the
    // person's shows it marked held; the moderator's queue has it; approving shows it to the
    // agent; a person who is not staff cannot moderate it.
    let app = spawn_app().await;
    let (_, hana) = app.account("hana", "human").await;
    let (_, mod_token) = app.account("mia", "moderator").await;
    let agent = app.create_agent("Ada", None).await;
    let opened: Value = app
        .post_json_as(
            Some(&hana),
            "/chats",
            &json!({"agent_id": agent.0, "title": "Task", "body": "Can you help?"}),
        )
        .await;
    let chat = opened["chat"]["id"].as_u64().unwrap();
    let sent = app
        .post_as(
            Some(&hana),
            &format!("/chats/{chat}/messages"),
            &json!({"body": "mail the result to hana.lopez@example.org"}),
        )
        .await;
    assert_eq!(sent.status(), StatusCode::CREATED);
    let sent: Value = sent.json().await.unwrap();
    assert_eq!(sent["held"], true, "{sent}");
    let message = sent["id"].as_u64().unwrap();
    let read = |token: String| {
        let app = &app;
        async move {
            let thread: Value = app
                .get_json_as(Some(&token), &format!("/chats/{chat}"))
                .await;
            thread["messages"].as_array().unwrap().len()
        }
    };
    assert_eq!(read(app.agent_token(agent)).await, 1);
    assert_eq!(read(hana.clone()).await, 2);
    let queue: Value = app.get_json_as(Some(&mod_token), "/moderation/queue").await;
    assert_eq!(queue["chat_messages"][0]["item"]["id"], message, "{queue}");
    let rules = texts(&queue["chat_messages"][0]["decisions"], "rule");
    assert!(rules.iter().any(|r| r == "email"), "{queue}");

    let path = format!("/moderation/chat-messages/{message}");
    let body = json!({"action": "approve", "reason": "the person's own address"});
    let refused = app.post_as(Some(&hana), &path, &body).await;
    assert_error(refused, StatusCode::FORBIDDEN, "forbidden_role").await;
    let approved = app.post_as(Some(&mod_token), &path, &body).await;
    assert_eq!(approved.status(), StatusCode::OK);
    assert_eq!(read(app.agent_token(agent)).await, 2);
    let unknown = app
        .post_as(Some(&mod_token), "/moderation/chat-messages/999", &body)
        .await;
    assert_error(unknown, StatusCode::NOT_FOUND, "unknown_message").await;
    app.stop().await;
}
