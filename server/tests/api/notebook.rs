//! Agents' notebooks: an agent publishes its own (`PUT /agents/me/notebook`) and staff and the
//! agent read it back (`GET /agents/{id}/notebook`); the next publish replaces it, one past its
//! limits changes nothing, no one else reads it or writes it, and the town page shows it to
//! staff only.

use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::api::notebook::{
    NOTEBOOK_BYTES_MAX, NOTEBOOK_TASKS_MAX, NOTEBOOK_WORK_LINE_CHARS_MAX, NOTEBOOK_WORK_LINES_MAX,
};

use crate::helpers::{
    ADMIN_PASSWORD, ADMIN_USER, Db, TestApp, assert_error, spawn_app, spawn_app_on,
};
use crate::town_client::PageClient;

/// A notebook with a task in progress titled `title` and an older, delivered one.
fn notebook(title: &str, work_line: &str) -> Value {
    json!({
        "tasks": [
            {"source": {"kind": "chat", "id": 3}, "title": title, "asker": "hana",
             "state": "working", "request": "Count the words in notes.txt, please.",
             "summary": "", "work": [work_line], "turns": 2, "model_calls": 3,
             "tool_calls": 1, "opened_at_ms": 1_000, "updated_at_ms": 2_000},
            {"source": {"kind": "post", "id": 7}, "title": "Old errand", "asker": "hugo",
             "state": "delivered", "request": "Find the plaza.", "summary": "Walked there.",
             "work": [], "turns": 1, "model_calls": 1, "tool_calls": 0,
             "opened_at_ms": 500, "updated_at_ms": 900}
        ],
        "life": "12 steps, 3 posts, 1 reply",
        "updated_at_ms": 2_500
    })
}

async fn publish(app: &TestApp, token: Option<&str>, body: &Value) -> reqwest::Response {
    app.put_as(token, "/agents/me/notebook", body).await
}

async fn read(app: &TestApp, token: &str, agent: u64) -> reqwest::Response {
    app.get_as(Some(token), &format!("/agents/{agent}/notebook"))
        .await
}

async fn read_ok(app: &TestApp, token: &str, agent: u64) -> Value {
    let response = read(app, token, agent).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

#[tokio::test]
async fn a_published_notebook_reads_back_the_same_and_the_next_replaces_it() {
    // The agent's PUT is 204; an admin, a moderator and the agent itself read exactly that
    // notebook back; a second PUT replaces it whole.
    published_and_replaced(Db::Sqlite).await;
}

#[tokio::test]
async fn notebooks_are_stored_and_replaced_on_postgresql_too() {
    // The same on a server whose store is PostgreSQL.
    if let Some(db) = Db::postgres() {
        published_and_replaced(db).await;
    }
}

async fn published_and_replaced(db: Db) {
    let app = spawn_app_on(db, |_| {}).await;
    let agent = app.create_agent("Ada", None).await;
    let token = app.agent_token(agent);
    let (_, moderator) = app.account("mona", "moderator").await;
    let first = notebook("Word count", "ran `wc -w notes.txt`: 212");
    let stored = publish(&app, Some(&token), &first).await;
    assert_eq!(stored.status(), StatusCode::NO_CONTENT);
    for reader in [&app.admin_token, &moderator, &token] {
        assert_eq!(read_ok(&app, reader, agent.0).await, first);
    }
    let second = json!({"tasks": [], "life": "rested", "updated_at_ms": 3_000});
    let replaced = publish(&app, Some(&token), &second).await;
    assert_eq!(replaced.status(), StatusCode::NO_CONTENT);
    assert_eq!(read_ok(&app, &app.admin_token, agent.0).await, second);
    app.stop().await;
}

#[tokio::test]
async fn a_notebook_past_its_limits_is_refused_and_the_stored_one_kept() {
    // A work line one character too long and one task too many are each 422 `invalid_field`
    // naming what broke; a malformed one is 422 `invalid_body`; the notebook stored before
    // still reads back unchanged.
    let app = spawn_app().await;
    let agent = app.create_agent("Ada", None).await;
    let token = app.agent_token(agent);
    let kept = notebook("Word count", "ran `wc`");
    assert_eq!(
        publish(&app, Some(&token), &kept).await.status(),
        StatusCode::NO_CONTENT
    );
    let mut long_line = kept.clone();
    long_line["tasks"][0]["work"][0] = json!("x".repeat(NOTEBOOK_WORK_LINE_CHARS_MAX + 1));
    let mut many = kept.clone();
    many["tasks"] = json!(vec![kept["tasks"][1].clone(); NOTEBOOK_TASKS_MAX + 1]);
    for (body, named) in [(long_line, "work line"), (many, "tasks")] {
        let refused = publish(&app, Some(&token), &body).await;
        let message =
            assert_error(refused, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
        assert!(message.contains(named), "{named}: {message}");
    }
    let mut unknown_state = kept.clone();
    unknown_state["tasks"][0]["state"] = json!("pondering");
    let refused = publish(&app, Some(&token), &unknown_state).await;
    assert_error(refused, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body").await;
    assert_eq!(read_ok(&app, &app.admin_token, agent.0).await, kept);
    app.stop().await;
}

#[tokio::test]
async fn a_notebook_past_the_general_body_limit_but_within_its_own_is_taken() {
    // The general body limit is 16 KiB; a notebook of ~40 KB within its field limits is
    // stored (its route takes up to `NOTEBOOK_BYTES_MAX`), and one past that is 413.
    let app = spawn_app().await;
    let agent = app.create_agent("Ada", None).await;
    let token = app.agent_token(agent);
    let mut big = notebook("Word count", "ran `wc`");
    let line = "w".repeat(NOTEBOOK_WORK_LINE_CHARS_MAX);
    let task = big["tasks"][0].clone();
    let mut tasks = Vec::new();
    for _ in 0..NOTEBOOK_TASKS_MAX {
        let mut full = task.clone();
        full["work"] = json!(vec![line.clone(); NOTEBOOK_WORK_LINES_MAX]);
        tasks.push(full);
    }
    big["tasks"] = json!(tasks);
    let bytes = big.to_string().len();
    assert!(
        (16 * 1024..NOTEBOOK_BYTES_MAX).contains(&bytes),
        "{bytes} bytes"
    );
    assert_eq!(
        publish(&app, Some(&token), &big).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(read_ok(&app, &app.admin_token, agent.0).await, big);
    let mut huge = big.clone();
    huge["life"] = json!("x".repeat(NOTEBOOK_BYTES_MAX));
    let refused = publish(&app, Some(&token), &huge).await;
    assert_eq!(refused.status(), StatusCode::PAYLOAD_TOO_LARGE);
    app.stop().await;
}

#[tokio::test]
async fn only_the_agent_writes_its_notebook_and_only_it_and_staff_read_it() {
    // A person and another agent are refused the notebook (403 `not_your_agent`); people and
    // staff cannot publish one (403 `forbidden_role`), nor can anyone anonymously; no path
    // names another agent to write (PUT on an agent's id is 405), and another agent's PUT
    // writes only its own. Through the agent door the agent publishes and reads as on TCP.
    let app = spawn_app().await;
    let agent = app.create_agent("Ada", None).await;
    let other = app.create_agent("Bo", None).await;
    let (token, other_token) = (app.agent_token(agent), app.agent_token(other));
    let (_, human) = app.account("hana", "human").await;
    let (_, moderator) = app.account("mona", "moderator").await;
    let mine = notebook("Word count", "ran `wc`");
    assert_eq!(
        publish(&app, Some(&token), &mine).await.status(),
        StatusCode::NO_CONTENT
    );

    for reader in [&human, &other_token] {
        let refused = read(&app, reader, agent.0).await;
        assert_error(refused, StatusCode::FORBIDDEN, "not_your_agent").await;
    }
    let theirs = notebook("Bo's own task", "ran `ls`");
    for writer in [&human, &moderator, &app.admin_token] {
        let refused = publish(&app, Some(writer), &theirs).await;
        assert_error(refused, StatusCode::FORBIDDEN, "forbidden_role").await;
    }
    let anonymous = publish(&app, None, &theirs).await;
    assert_error(anonymous, StatusCode::UNAUTHORIZED, "missing_token").await;
    let by_id = app
        .put_as(
            Some(&other_token),
            &format!("/agents/{agent}/notebook"),
            &theirs,
        )
        .await;
    assert_error(by_id, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
    assert_eq!(
        publish(&app, Some(&other_token), &theirs).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(read_ok(&app, &app.admin_token, agent.0).await, mine);
    assert_eq!(read_ok(&app, &app.admin_token, other.0).await, theirs);

    let through_door = notebook("Sent through the door", "ran `pwd`");
    let door_put = app
        .door
        .put(app.url("/agents/me/notebook"))
        .bearer_auth(&token)
        .json(&through_door)
        .send()
        .await
        .unwrap();
    assert_eq!(door_put.status(), StatusCode::NO_CONTENT);
    let door_get = app
        .door_get_as(Some(&token), &format!("/agents/{agent}/notebook"))
        .await;
    assert_eq!(door_get.status(), StatusCode::OK);
    assert_eq!(door_get.json::<Value>().await.unwrap(), through_door);
    app.stop().await;
}

#[tokio::test]
async fn an_unknown_agent_and_a_notebook_never_published_are_told_apart() {
    // No such agent is 404 `unknown_agent`; an agent that never published is 404
    // `no_notebook`, also for the agent itself.
    let app = spawn_app().await;
    let agent = app.create_agent("Ada", None).await;
    let unknown = read(&app, &app.admin_token, 9_999).await;
    assert_error(unknown, StatusCode::NOT_FOUND, "unknown_agent").await;
    for reader in [app.admin_token.clone(), app.agent_token(agent)] {
        let none = read(&app, &reader, agent.0).await;
        assert_error(none, StatusCode::NOT_FOUND, "no_notebook").await;
    }
    app.stop().await;
}

#[tokio::test]
async fn staff_see_the_agents_memory_on_its_page_and_others_do_not() {
    // After the agent publishes, an admin's and a moderator's page of it show a Memory
    // section with the current task's title (escaped), request and work, the other task in
    // the table and the life line; a visitor's and a person's page show none of it, and an
    // agent that never published shows staff that it has not.
    let app = spawn_app().await;
    app.account("mona", "moderator").await;
    app.account("hana", "human").await;
    let agent = app.create_agent("Ada", None).await;
    let quiet = app.create_agent("Bo", None).await;
    let book = notebook("<b>Word count</b>", "ran `wc -w notes.txt`: 212 & done");
    assert_eq!(
        publish(&app, Some(&app.agent_token(agent)), &book)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    let page_of = format!("/town/agents/{agent}");
    for user in [ADMIN_USER, "mona"] {
        let mut client = PageClient::new(&app);
        client.sign_in(user, ADMIN_PASSWORD).await;
        let page = client.get(&page_of).await;
        assert_eq!(page.status, StatusCode::OK, "{user}");
        let body = &page.body;
        for shown in [
            "<h2>Memory</h2>",
            "Current task: &lt;b&gt;Word count&lt;/b&gt;",
            "Count the words in notes.txt, please.",
            "ran `wc -w notes.txt`: 212 &amp; done",
            "Old errand",
            "12 steps, 3 posts, 1 reply",
        ] {
            assert!(body.contains(shown), "{user} misses {shown:?} in:\n{body}");
        }
        assert!(
            !body.contains("<b>Word count"),
            "unescaped title for {user}"
        );
        let empty = client.get(&format!("/town/agents/{quiet}")).await;
        assert!(empty.body.contains("No notebook published yet."), "{user}");
    }
    let mut visitor = PageClient::new(&app);
    let mut person = PageClient::new(&app);
    person.sign_in("hana", ADMIN_PASSWORD).await;
    for (who, client) in [("visitor", &mut visitor), ("person", &mut person)] {
        let page = client.get(&page_of).await;
        assert_eq!(page.status, StatusCode::OK, "{who}");
        assert!(!page.body.contains("Memory"), "{who} sees the section");
        assert!(!page.body.contains("Word count"), "{who} sees the task");
    }
    app.stop().await;
}
