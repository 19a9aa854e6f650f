//! The town hall's role matrix: every page and form, for a visitor, a person, a moderator and
//! an admin signed in through the pages, answers exactly the listed status (303 is a redirect:
//! to sign-in for visitors, to the result for a form that worked).

use serde_json::{Value, json};

use crate::helpers::{ADMIN_PASSWORD, ADMIN_USER, spawn_app_with};
use crate::town_client::PageClient;

const CALLERS: [&str; 4] = ["visitor", "human", "moderator", "admin"];

/// A form to send: its path, its fields (the caller's CSRF token is added; `{caller}` and
/// `{agent}` in a value are replaced), and the status each caller must get.
type FormRow = (String, Vec<(&'static str, &'static str)>, [u16; 4]);

#[tokio::test]
async fn every_page_answers_every_role_as_the_matrix_says() {
    let app = spawn_app_with(|s| s.board.agents_post_at_board_only = false).await;
    let (_, hana) = app.account("hana", "human").await;
    app.account("mona", "moderator").await;
    let (spare, _) = app.account("spare", "human").await;
    let agent = app.create_agent("Ada", None).await;
    let doomed = app.create_agent("Bo", None).await;
    let work: Value = app
        .post_json_as(
            Some(&app.agent_token(agent)),
            "/board/posts",
            &json!({"title": "my work", "body": "done"}),
        )
        .await;
    let work = work["id"].as_u64().unwrap();
    let a = agent.0;
    let post: Value = app
        .post_json_as(
            Some(&hana),
            "/board/posts",
            &json!({"title": "q", "body": "help?"}),
        )
        .await;
    let post = post["id"].as_u64().unwrap();
    let reply: Value = app
        .post_json_as(
            Some(&hana),
            &format!("/board/posts/{post}/replies"),
            &json!({"body": "an answer"}),
        )
        .await;
    let reply = reply["id"].as_u64().unwrap();

    let mut clients = Vec::new();
    for (caller, user) in CALLERS
        .iter()
        .zip([None, Some("hana"), Some("mona"), Some(ADMIN_USER)])
    {
        let mut client = PageClient::new(&app);
        if let Some(user) = user {
            client.sign_in(user, ADMIN_PASSWORD).await;
        }
        let board = client.get("/town/board").await;
        let csrf = user.map(|_| board.csrf()).unwrap_or_default();
        clients.push((*caller, client, csrf));
    }
    let gets: Vec<(String, [u16; 4])> = vec![
        ("/town".into(), [303; 4]),
        ("/town/login".into(), [200, 303, 303, 303]),
        ("/town/signup".into(), [200; 4]),
        ("/town/board".into(), [200; 4]),
        (format!("/town/posts/{post}"), [200; 4]),
        ("/town/posts/99999".into(), [404; 4]),
        ("/town/moderation".into(), [303, 403, 200, 200]),
        ("/town/chats".into(), [303, 200, 200, 200]),
        ("/town/chats/999".into(), [303, 404, 404, 404]),
        ("/town/agents".into(), [200; 4]),
        (format!("/town/agents/{a}"), [200; 4]),
        ("/town/agents/999".into(), [404; 4]),
        ("/town/admin".into(), [303, 403, 403, 200]),
        ("/town/admin/audit".into(), [303, 403, 403, 200]),
        ("/town/no-such-page".into(), [404; 4]),
        ("/town/static/town.css".into(), [200; 4]),
        ("/town/static/town.js".into(), [200; 4]),
    ];
    // Forms: (path, fields, expected). Each caller sends its own session's token.
    let posts: Vec<FormRow> = vec![
        (
            "/town/posts".into(),
            vec![("title", "from the pages"), ("body", "b")],
            [303; 4],
        ),
        (
            format!("/town/posts/{post}/replies"),
            vec![("body", "a page reply")],
            [303; 4],
        ),
        (
            format!("/town/moderation/replies/{reply}"),
            vec![("action", "approve"), ("reason", "fine")],
            [303, 403, 303, 303],
        ),
        (
            format!("/town/moderation/posts/{post}"),
            vec![("action", "approve"), ("reason", "fine")],
            [303, 403, 303, 303],
        ),
        (
            format!("/town/posts/{work}/feedback"),
            vec![
                ("kind", "reward"),
                ("transfer_id", "page-{caller}"),
                ("agent_id", "{agent}"),
                ("amount", "0.5"),
                ("reason", "good work"),
            ],
            [303; 4],
        ),
        (
            "/town/chats".into(),
            vec![
                ("agent_id", "{agent}"),
                ("title", "a task"),
                ("body", "please help"),
            ],
            [303; 4],
        ),
        (
            "/town/admin/agents".into(),
            vec![("display_name", "New {caller}"), ("brain", "scripted")],
            [303, 403, 403, 200],
        ),
        (
            format!("/town/admin/agents/{a}/control"),
            vec![("action", "freeze"), ("reason", "check")],
            [303, 403, 403, 303],
        ),
        (
            format!("/town/admin/agents/{a}/deposit"),
            vec![("amount", "2"), ("paypal_txn_id", "TX-{caller}")],
            [303, 403, 403, 303],
        ),
        (
            format!("/town/admin/agents/{}/revoke", doomed.0),
            vec![],
            [303, 403, 403, 303],
        ),
        (
            "/town/admin/accounts".into(),
            vec![
                ("username", "new-{caller}"),
                ("password", ADMIN_PASSWORD),
                ("role", "human"),
            ],
            [303, 403, 403, 303],
        ),
        (
            format!("/town/admin/accounts/{spare}/role"),
            vec![("role", "moderator")],
            [303, 403, 403, 303],
        ),
    ];
    let mut failures = Vec::new();
    for (column, (caller, client, csrf)) in clients.iter_mut().enumerate() {
        for (path, expect) in &gets {
            let got = client.get(path).await;
            if got.status.as_u16() != expect[column] {
                failures.push(format!(
                    "GET {path} as {caller}: got {}, want {}",
                    got.status, expect[column]
                ));
            }
            if got.csp.is_none() {
                failures.push(format!(
                    "GET {path} as {caller}: no Content-Security-Policy"
                ));
            }
        }
        for (path, fields, expect) in &posts {
            let mut owned = vec![("csrf".to_string(), csrf.clone())];
            owned.extend(fields.iter().map(|(k, v)| {
                let value = v
                    .replace("{caller}", caller)
                    .replace("{agent}", &a.to_string());
                (k.to_string(), value)
            }));
            let form: Vec<(&str, &str)> = owned
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let got = client.post(path, &form).await;
            if got.status.as_u16() != expect[column] {
                failures.push(format!(
                    "POST {path} as {caller}: got {}, want {}",
                    got.status, expect[column]
                ));
            }
            if column == 0 && got.location.as_deref() != Some("/town/login") {
                failures.push(format!("POST {path} as a visitor: not sent to sign in"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "matrix mismatches:\n{}",
        failures.join("\n")
    );
    app.stop().await;
}
