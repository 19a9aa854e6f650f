//! The compliance guard on the real API: a post (tags included), reply, chat opening or chat
//! message that a blocking rule fires on is refused with 422 `compliance_blocked` naming the
//! rule, nothing of it is stored or streamed, and the refusal is in the audit log with a
//! masked excerpt; what a non-blocking rule finds is written into the stored text's audit
//! entry. Texts shown at once (agents' speech, chat titles, names) are refused as well when
//! a rule would hold them, and names may not hide characters.

use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::ServerMsg;

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

/// The details of the `denied` audit entries of `action`.
async fn refusals(app: &TestApp, admin: &str, action: &str) -> Vec<String> {
    audit(app, admin, action, "denied")
        .await
        .iter()
        .map(|entry| entry["detail"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn speech_a_rule_fires_on_is_refused_reaches_no_one_and_changes_nothing() {
    // A banned term split by two spaces (block) and an email address (hold: speech cannot
    // wait for a moderator) are 422; no one hears them, the stream carries none of them, the
    // talk cooldown is not taken (the next clean line is spoken at once), and each refusal is
    // audited.
    let app = spawn_app().await;
    let (_, admin) = app.account("root", "admin").await;
    let speaker = app.create_agent("Speaker", None).await;
    let neighbour = app.create_agent("Neighbour", None).await;
    let mut stream = app.stream().await;
    stream.skip_intro().await;
    let path = format!("/agents/{speaker}/action");
    for (text, rule) in [
        ("just kill  yourself", "banned_term"),
        ("mail me: ana.moss@example.org", "email"),
        ("sk-ab12  cd34  ef56  gh78  ij90  kl12", "api_key"),
    ] {
        let refused = app
            .post(&path, &json!({ "action": "talk", "text": text }))
            .await;
        let message = assert_error(
            refused,
            StatusCode::UNPROCESSABLE_ENTITY,
            "compliance_blocked",
        )
        .await;
        assert!(message.contains(rule), "{text:?}: {message}");
    }
    let heard = app
        .get_json(&format!("/agents/{neighbour}/perception"))
        .await;
    assert_eq!(heard["heard"].as_array().unwrap().len(), 0, "{heard}");
    let spoken = app
        .post(&path, &json!({ "action": "talk", "text": "Good morning!" }))
        .await;
    assert_eq!(spoken.status(), StatusCode::OK, "the cooldown was taken");
    loop {
        let ServerMsg::Delta(delta) = stream.next().await else {
            continue;
        };
        if let Some(line) = delta.speech.first() {
            assert_eq!(line.text, "Good morning!", "a refused line went out");
            break;
        }
    }
    let details = refusals(&app, &admin, "agent.talk").await;
    assert_eq!(details.len(), 3, "{details:?}");
    assert!(
        details.iter().all(|d| !d.contains("ab12cd34ef56")),
        "{details:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn post_tags_are_screened_with_the_post() {
    // A banned term spread over two tags and a card number as a tag are refused and nothing
    // is stored; a phone number as a tag holds the whole post from everyone but its author.
    let app = spawn_app().await;
    let (_, hana) = app.account("hana", "human").await;
    for tags in [json!(["kill", "yourself"]), json!(["4111-1111-1111-1111"])] {
        let refused = app
            .post_as(
                Some(&hana),
                "/board/posts",
                &json!({"title": "Hello", "body": "A nice day.", "tags": tags}),
            )
            .await;
        assert_error(
            refused,
            StatusCode::UNPROCESSABLE_ENTITY,
            "compliance_blocked",
        )
        .await;
    }
    let held = app
        .post_json_as(
            Some(&hana),
            "/board/posts",
            &json!({"title": "Hello", "body": "A nice day.", "tags": ["555-867-5309"]}),
        )
        .await;
    assert_eq!(held["held"], true, "{held}");
    let public = app.get_json_as(None, "/board/posts").await;
    assert_eq!(public["posts"].as_array().unwrap().len(), 0, "{public}");
    let own = app.get_json_as(Some(&hana), "/board/posts").await;
    assert_eq!(own["posts"].as_array().unwrap().len(), 1, "{own}");
    app.stop().await;
}

#[tokio::test]
async fn chat_titles_are_refused_when_a_rule_would_hold_or_block_them() {
    // A title is listed to the agent at once, so a title with a banned term (block) or an
    // email address (hold) is refused even with a clean first message; no chat is opened.
    let app = spawn_app().await;
    let (_, hana) = app.account("hana", "human").await;
    let (_, admin) = app.account("root", "admin").await;
    let agent = app.create_agent("Worker", None).await;
    for (title, rule) in [
        ("kill\u{200b}yourself", "banned_term"),
        ("mail ana.moss@example.org", "email"),
    ] {
        let refused = app
            .post_as(
                Some(&hana),
                "/chats",
                &json!({"agent_id": agent.0, "title": title, "body": "Can you help?"}),
            )
            .await;
        let message = assert_error(
            refused,
            StatusCode::UNPROCESSABLE_ENTITY,
            "compliance_blocked",
        )
        .await;
        assert!(
            message.contains("title") && message.contains(rule),
            "{message}"
        );
    }
    let chats = app.get_json_as(Some(&hana), "/chats").await;
    assert_eq!(chats["chats"].as_array().unwrap().len(), 0, "{chats}");
    assert_eq!(refusals(&app, &admin, "chat.open").await.len(), 2);
    app.stop().await;
}

#[tokio::test]
async fn names_that_hide_characters_or_break_a_rule_are_refused() {
    // Display names with a right-to-left override, an isolate or a zero-width space are 422
    // `invalid_field`; a display name, persona or username with a banned term is 422
    // `compliance_blocked`; none of them makes an agent or an account.
    let app = spawn_app().await;
    for name in [
        "Ada\u{202E}lleuQ",
        "\u{2066}Ada\u{2069}",
        "Ada\u{200B}Quill",
    ] {
        let refused = app
            .post("/admin/agents", &json!({ "display_name": name }))
            .await;
        let message =
            assert_error(refused, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
        assert!(message.contains("display_name"), "{message}");
    }
    for request in [
        json!({ "display_name": "kill-yourself" }),
        json!({ "display_name": "Ada", "persona": "Says k.y.s to everyone." }),
    ] {
        let refused = app.post("/admin/agents", &request).await;
        assert_error(
            refused,
            StatusCode::UNPROCESSABLE_ENTITY,
            "compliance_blocked",
        )
        .await;
    }
    assert_eq!(app.get_json("/agents").await.as_array().unwrap().len(), 0);
    let registered = app
        .post_as(
            None,
            "/auth/register",
            &json!({ "username": "kill_yourself", "password": "a long enough password" }),
        )
        .await;
    assert_error(
        registered,
        StatusCode::UNPROCESSABLE_ENTITY,
        "compliance_blocked",
    )
    .await;
    let created = app
        .post(
            "/admin/accounts",
            &json!({ "username": "kys.now", "password": "a long enough password", "role": "human" }),
        )
        .await;
    assert_error(
        created,
        StatusCode::UNPROCESSABLE_ENTITY,
        "compliance_blocked",
    )
    .await;
    for username in ["kill_yourself", "kys.now"] {
        let login = app
            .post_as(
                None,
                "/auth/login",
                &json!({ "username": username, "password": "a long enough password" }),
            )
            .await;
        assert_eq!(login.status(), StatusCode::UNAUTHORIZED, "{username}");
    }
    app.stop().await;
}
