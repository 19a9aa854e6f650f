//! The compliance guard on the real API: a post, reply, chat opening or chat message that a
//! blocking rule fires on is refused with 422 `compliance_blocked` naming the rule, nothing
//! of it is stored or streamed, and the refusal is in the audit log with a masked excerpt;
//! what a non-blocking rule finds is written into the stored text's audit entry.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error, spawn_app};

const CARD: &str = "my card is 4111 1111 1111 1111, exp 12/29";
const KEY: &str = "use sk-proj-ab12cd34ef56gh78ij90kl12mn34";

/// The audit entries of `action` with `outcome`, as the admin reads them.
async fn audit(app: &TestApp, admin: &str, action: &str, outcome: &str) -> Vec<Value> {
    let page: Value = app
        .get_json_as(
            Some(admin),
            &format!("/admin/audit?action={action}&outcome={outcome}"),
        )
        .await;
    page["entries"].as_array().unwrap().clone()
}

#[tokio::test]
async fn blocked_texts_are_refused_unstored_and_audited_masked() {
    let app = spawn_app().await;
    let (_, hana) = app.account("hana", "human").await;
    let (_, admin) = app.account("root", "admin").await;
    let agent = app.create_agent("Worker", None).await;

    let refused = app
        .post_as(
            Some(&hana),
            "/board/posts",
            &json!({"title": "Pay me", "body": CARD}),
        )
        .await;
    let message = assert_error(
        refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "compliance_blocked",
    )
    .await;
    assert!(message.contains("card_number"), "{message}");
    assert!(
        !message.contains("4111"),
        "the refusal repeats the number: {message}"
    );
    let posts: Value = app.get_json("/board/posts").await;
    assert_eq!(posts["posts"].as_array().unwrap().len(), 0, "{posts}");

    let post = app
        .post_as(
            Some(&hana),
            "/board/posts",
            &json!({"title": "Help", "body": "How do I sort my notes?"}),
        )
        .await;
    assert_eq!(post.status(), StatusCode::CREATED);
    let id = post.json::<Value>().await.unwrap()["id"].as_u64().unwrap();
    let reply = app
        .post_as(
            Some(&hana),
            &format!("/board/posts/{id}/replies"),
            &json!({"body": KEY}),
        )
        .await;
    assert_error(
        reply,
        StatusCode::UNPROCESSABLE_ENTITY,
        "compliance_blocked",
    )
    .await;
    let thread: Value = app.get_json(&format!("/board/posts/{id}")).await;
    assert_eq!(
        thread["replies"].as_array().map_or(0, Vec::len),
        0,
        "{thread}"
    );

    let opened = app
        .post_as(
            Some(&hana),
            "/chats",
            &json!({"agent_id": agent.0, "title": "Keys", "body": KEY}),
        )
        .await;
    assert_error(
        opened,
        StatusCode::UNPROCESSABLE_ENTITY,
        "compliance_blocked",
    )
    .await;
    let opened = app
        .post_as(
            Some(&hana),
            "/chats",
            &json!({"agent_id": agent.0, "title": "Script", "body": "It fails on line 3."}),
        )
        .await;
    assert_eq!(opened.status(), StatusCode::CREATED);
    let chat = opened.json::<Value>().await.unwrap()["chat"]["id"]
        .as_u64()
        .unwrap();
    let sent = app
        .post_as(
            Some(&hana),
            &format!("/chats/{chat}/messages"),
            &json!({"body": "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA"}),
        )
        .await;
    assert_error(sent, StatusCode::UNPROCESSABLE_ENTITY, "compliance_blocked").await;
    let messages: Value = app
        .get_json_as(Some(&hana), &format!("/chats/{chat}"))
        .await;
    assert_eq!(
        messages["messages"].as_array().unwrap().len(),
        1,
        "{messages}"
    );

    for (action, rule) in [
        ("board.post", "card_number=block"),
        ("board.reply", "api_key=block"),
        ("chat.open", "api_key=block"),
        ("chat.message", "private_key=block"),
    ] {
        let entries = audit(&app, &admin, action, "denied").await;
        assert_eq!(entries.len(), 1, "{action}: {entries:?}");
        let detail = entries[0]["detail"].as_str().unwrap();
        assert!(
            detail.starts_with("blocked; compliance:"),
            "{action}: {detail}"
        );
        assert!(detail.contains(rule), "{action}: {detail}");
        assert!(
            !detail.contains("1111 1111") && !detail.contains("ab12cd34ef56"),
            "{action}: the secret is stored whole: {detail}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn what_a_holding_rule_finds_is_recorded_with_the_post() {
    // An email address (a hold rule) is written into the post's audit entry.
    let app = spawn_app().await;
    let (_, hana) = app.account("hana", "human").await;
    let (_, admin) = app.account("root", "admin").await;
    let post = app
        .post_as(
            Some(&hana),
            "/board/posts",
            &json!({"title": "Contact", "body": "write to hana [at] example [dot] org"}),
        )
        .await;
    assert_eq!(post.status(), StatusCode::CREATED);
    let entries = audit(&app, &admin, "board.post", "ok").await;
    let detail = entries[0]["detail"].as_str().unwrap();
    assert!(detail.contains("email=hold"), "{detail}");
    app.stop().await;
}
