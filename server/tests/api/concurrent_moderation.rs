//! The report of issue 18 (item 6) on the real server: sixteen moderators deciding on one held
//! post at once, while people keep posting, got "database is locked" 500s on SQLite. Every
//! answer must be a 200 or a 201, and the post must end as one of the decisions left it.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Db, TestApp, spawn_app_on};

/// Moderations of the one post, and posts created beside them: the report's 16, bounded.
const CALLS: usize = 16;

const ACTIONS: [&str; 4] = ["approve", "lock", "resolve", "reopen"];

/// Sends `CALLS` moderations of post `id` and `CALLS` new posts at once, each on its own task;
/// returns each answer's status and body, moderations first.
async fn race(app: &TestApp, moderator: &str, author: &str, id: u64) -> Vec<(StatusCode, Value)> {
    let mut calls = Vec::with_capacity(2 * CALLS);
    for i in 0..CALLS {
        let moderate = app
            .client
            .post(app.url(&format!("/board/posts/{id}/moderate")))
            .bearer_auth(moderator)
            .json(&json!({"action": ACTIONS[i % 4], "reason": format!("decision {i}")}));
        calls.push(moderate);
    }
    for i in 0..CALLS {
        let create = app
            .client
            .post(app.url("/board/posts"))
            .bearer_auth(author)
            .json(&json!({"title": format!("beside {i}"), "body": "a plain post"}));
        calls.push(create);
    }
    let tasks: Vec<_> = calls
        .into_iter()
        .map(|request| {
            tokio::spawn(async move {
                let response = request.send().await.unwrap();
                let status = response.status();
                (
                    status,
                    response.json::<Value>().await.unwrap_or(Value::Null),
                )
            })
        })
        .collect();
    let mut answers = Vec::with_capacity(tasks.len());
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    answers
}

async fn moderations_of_one_post_all_answer(db: Db) {
    let app = spawn_app_on(db, |_| {}).await;
    let (_, hana) = app.account("hana", "human").await;
    let (_, mia) = app.account("mia", "moderator").await;
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

    let answers = race(&app, &mia, &hana, id).await;
    let failed: Vec<String> = answers
        .iter()
        .filter(|(status, _)| status.is_server_error())
        .map(|(status, body)| format!("{status} {body}"))
        .collect();
    assert!(
        failed.is_empty(),
        "{db:?}: {} of {} answered 5xx, first: {}",
        failed.len(),
        answers.len(),
        failed[0]
    );
    let (moderations, creations) = answers.split_at(CALLS);
    assert!(moderations.iter().all(|(s, _)| *s == StatusCode::OK));
    assert!(creations.iter().all(|(s, _)| *s == StatusCode::CREATED));

    let thread: Value = app
        .get_json_as(Some(&mia), &format!("/board/posts/{id}"))
        .await;
    let post = &thread["post"];
    assert_eq!(post["held"], false, "{post}");
    let reason = post["moderation_reason"].as_str().unwrap();
    let decided = moderations
        .iter()
        .find(|(_, body)| body["moderation_reason"] == reason)
        .map(|(_, body)| body["status"].clone());
    assert_eq!(decided, Some(post["status"].clone()), "{post}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_moderations_of_one_post_never_answer_5xx_on_sqlite() {
    // Sixteen moderations of one held post and sixteen new posts at once, on SQLite: every
    // moderation answers 200, every post 201, and the post shows the reason and status of one
    // decision.
    moderations_of_one_post_all_answer(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_moderations_of_one_post_never_answer_5xx_on_postgres() {
    // The same race on PostgreSQL, when the test cluster runs.
    if let Some(db) = Db::postgres() {
        moderations_of_one_post_all_answer(db).await;
    }
}
