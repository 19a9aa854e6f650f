//! The bulletin board over HTTP and its streams: who may write where, limits, moderation,
//! `WS /ws/board`, the world stream's board events, and an agent's board feed.

use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::codec::Format;
use shared::protocol::VillageEvent;
use shared::{AgentId, BoardEvent, ServerMsg, TilePos};

use crate::helpers::{
    Db, TestApp, WorldStream, assert_error, refused_upgrade_status, spawn_app, spawn_app_on,
    spawn_app_with,
};

/// Walks `agent` (with its own token) to the board and waits until it stands there.
async fn walk_to_board(app: &TestApp, agent: AgentId) {
    let mut stream = app.stream().await;
    stream.skip_intro().await;
    let token = app.agent_token(agent);
    let response = app
        .post_as(
            Some(&token),
            &format!("/agents/{agent}/move"),
            &json!({"landmark": "board"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let plan: Value = response.json().await.unwrap();
    let to: TilePos = serde_json::from_value(plan["to"].clone()).unwrap();
    if plan["steps"] != 0 {
        stream.wait_for_move(agent, to).await;
    }
}

async fn board_stream(app: &TestApp) -> WorldStream {
    let (socket, _) =
        tokio_tungstenite::connect_async(format!("ws://{}/ws/board?format=json", app.addr))
            .await
            .unwrap();
    let mut stream = WorldStream {
        socket,
        format: Format::Json,
    };
    assert!(matches!(stream.next().await, ServerMsg::Hello { .. }));
    stream
}

#[tokio::test]
async fn an_agent_posts_at_the_board_and_reads_its_answers_next_loop() {
    // Away from the board an agent's post is refused (409) and nothing is stored; at the board
    // it posts; the post goes out on /ws/board and as a world-stream event; a person's reply
    // shows in the agent's perception feed once, and the cursor hides it the next time.
    agent_board_loop(Db::Sqlite).await;
}

#[tokio::test]
async fn the_agent_board_loop_works_on_postgresql_too() {
    // The same loop against a server whose store is PostgreSQL.
    if let Some(db) = Db::postgres() {
        agent_board_loop(db).await;
    }
}

async fn agent_board_loop(db: Db) {
    let app = spawn_app_on(db, |_| {}).await;
    let agent = app.create_agent("Asker", Some("home-ash")).await;
    let token = app.agent_token(agent);
    let question = json!({"title": "How do I parse TOML?", "body": "Which crate?", "tags": ["Rust"], "audience": "humans"});
    let away = app.post_as(Some(&token), "/board/posts", &question).await;
    assert_error(away, StatusCode::CONFLICT, "not_at_board").await;
    assert_eq!(
        app.get_json("/board/posts").await["posts"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    walk_to_board(&app, agent).await;
    let mut board = board_stream(&app).await;
    let mut world = app.stream().await;
    world.skip_intro().await;
    let posted = app.post_as(Some(&token), "/board/posts", &question).await;
    assert_eq!(posted.status(), StatusCode::CREATED);
    let post: Value = posted.json().await.unwrap();
    let post_id = post["id"].as_u64().unwrap();
    assert_eq!(post["author"]["agent_id"], agent.0);
    assert_eq!(post["author"]["name"], "Asker");
    assert_eq!(post["tags"], json!(["rust"]));
    assert_eq!(post["audience"], "humans");
    match board.next().await {
        ServerMsg::Board(BoardEvent::PostCreated { post }) => assert_eq!(post.id.0, post_id),
        other => panic!("expected the new post, got {other:?}"),
    }
    loop {
        if let ServerMsg::Delta(delta) = world.next().await
            && let Some(VillageEvent::BoardPost {
                post_id: id, title, ..
            }) = delta.events.first()
        {
            assert_eq!(id.0, post_id);
            assert_eq!(title, "How do I parse TOML?");
            break;
        }
    }
    let (_, human) = app.account("helper", "human").await;
    let reply = app
        .post_as(
            Some(&human),
            &format!("/board/posts/{post_id}/replies"),
            &json!({"body": "Use the toml crate:\nhttps://docs.rs/toml"}),
        )
        .await;
    assert_eq!(reply.status(), StatusCode::CREATED);
    assert!(matches!(
        board.next().await,
        ServerMsg::Board(BoardEvent::ReplyAdded { .. })
    ));
    let perception = app
        .get_as(Some(&token), &format!("/agents/{agent}/perception"))
        .await;
    let perception: Value = perception.json().await.unwrap();
    let feed = &perception["board"];
    assert_eq!(feed["replies_to_my_posts"].as_array().unwrap().len(), 1);
    assert_eq!(
        feed["replies_to_my_posts"][0]["body"],
        "Use the toml crate:\nhttps://docs.rs/toml"
    );
    let cursor = feed["cursor"].as_str().unwrap();
    let next = app
        .get_as(
            Some(&token),
            &format!("/agents/{agent}/perception?board_cursor={cursor}"),
        )
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(
        next["board"]["replies_to_my_posts"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(next["board"]["cursor"], cursor);
    let bad = app
        .get_as(
            Some(&token),
            &format!("/agents/{agent}/perception?board_cursor=zz"),
        )
        .await;
    assert_error(bad, StatusCode::UNPROCESSABLE_ENTITY, "invalid_cursor").await;
    let full = app.get_json(&format!("/board/posts/{post_id}")).await;
    assert_eq!(full["post"]["reply_count"], 1);
    assert_eq!(full["replies"].as_array().unwrap().len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn posts_addressed_to_an_agent_reach_its_feed_and_unknown_agents_are_refused() {
    // A post to agent:<id> appears in that agent's feed only; an unknown agent is a 404.
    let app = spawn_app().await;
    let ada = app.create_agent("Ada", None).await;
    let bo = app.create_agent("Bo", None).await;
    let (_, human) = app.account("hana", "human").await;
    let to_ada = app
        .post_as(
            Some(&human),
            "/board/posts",
            &json!({"title": "for you", "body": "a task", "audience": format!("agent:{ada}")}),
        )
        .await;
    assert_eq!(to_ada.status(), StatusCode::CREATED);
    let nobody = app
        .post_as(
            Some(&human),
            "/board/posts",
            &json!({"title": "x", "body": "y", "audience": "agent:999"}),
        )
        .await;
    assert_error(nobody, StatusCode::NOT_FOUND, "unknown_agent").await;
    let feed = async |id: AgentId| {
        let token = app.agent_token(id);
        app.get_as(Some(&token), &format!("/agents/{id}/perception"))
            .await
            .json::<Value>()
            .await
            .unwrap()
    };
    assert_eq!(
        feed(ada).await["board"]["posts_to_me"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        feed(bo).await["board"]["posts_to_me"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    let listed = app
        .get_json(&format!("/board/posts?audience=agent:{ada}"))
        .await;
    assert_eq!(listed["posts"].as_array().unwrap().len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn limits_and_locks_refuse_with_json_errors_and_change_nothing() {
    // Overlong titles, too many or bad tags, empty bodies, unknown posts, locked and full
    // threads, and bad filters are 4xx; the board holds exactly what was accepted.
    let app = spawn_app_with(|s| s.board.board_replies_per_post_max = 1).await;
    let (_, human) = app.account("hana", "human").await;
    let post = async |body: Value| app.post_as(Some(&human), "/board/posts", &body).await;
    let long = post(json!({"title": "t".repeat(121), "body": "b"})).await;
    assert_error(long, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    let tags =
        post(json!({"title": "t", "body": "b", "tags": ["a", "b", "c", "d", "e", "f"]})).await;
    assert_error(tags, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    let bad_tag = post(json!({"title": "t", "body": "b", "tags": ["no spaces"]})).await;
    assert_error(bad_tag, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    let empty = post(json!({"title": "t", "body": "   "})).await;
    assert_error(empty, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    let audience = post(json!({"title": "t", "body": "b", "audience": "everyone"})).await;
    assert_eq!(audience.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let ok: Value = post(json!({"title": "t", "body": "b"}))
        .await
        .json()
        .await
        .unwrap();
    let id = ok["id"].as_u64().unwrap();
    let reply = async |post_id: u64| {
        app.post_as(
            Some(&human),
            &format!("/board/posts/{post_id}/replies"),
            &json!({"body": "r"}),
        )
        .await
    };
    assert_error(reply(404).await, StatusCode::NOT_FOUND, "unknown_post").await;
    assert_eq!(reply(id).await.status(), StatusCode::CREATED);
    assert_error(reply(id).await, StatusCode::CONFLICT, "thread_full").await;
    let locked = app
        .post(
            &format!("/board/posts/{id}/moderate"),
            &json!({"action": "lock", "reason": "answered"}),
        )
        .await;
    assert_eq!(locked.status(), StatusCode::OK);
    assert_error(reply(id).await, StatusCode::CONFLICT, "thread_locked").await;
    let unknown_action = app
        .post(
            &format!("/board/posts/{id}/moderate"),
            &json!({"action": "delete", "reason": "x"}),
        )
        .await;
    assert_eq!(unknown_action.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let no_reason = app
        .post(
            &format!("/board/posts/{id}/moderate"),
            &json!({"action": "hide", "reason": " "}),
        )
        .await;
    assert_error(no_reason, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field").await;
    let filter = app.get("/board/posts?status=gone").await;
    assert_error(filter, StatusCode::UNPROCESSABLE_ENTITY, "invalid_filter").await;
    let unknown_filter = app.get("/board/posts?sort=new").await;
    assert_error(unknown_filter, StatusCode::BAD_REQUEST, "invalid_query").await;
    let all = app.get_json(&format!("/board/posts/{id}")).await;
    assert_eq!(all["post"]["status"], "closed");
    assert_eq!(all["post"]["reply_count"], 1);
    assert_eq!(
        app.get_json("/board/posts").await["posts"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    app.stop().await;
}

#[tokio::test]
async fn moderation_hides_from_the_public_but_not_from_staff_or_the_author() {
    // A human cannot moderate (403, audited as denied); a moderator's hide makes the post 404
    // to others and absent from their listing, while the author and staff still see it.
    let app = spawn_app().await;
    let (_, author) = app.account("author", "human").await;
    let (_, other) = app.account("other", "human").await;
    let (_, moderator) = app.account("mod", "moderator").await;
    let post: Value = app
        .post_as(
            Some(&author),
            "/board/posts",
            &json!({"title": "spam?", "body": "buy"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = post["id"].as_u64().unwrap();
    let path = format!("/board/posts/{id}/moderate");
    let refused = app
        .post_as(
            Some(&other),
            &path,
            &json!({"action": "hide", "reason": "mine now"}),
        )
        .await;
    assert_error(refused, StatusCode::FORBIDDEN, "forbidden_role").await;
    let mut live = board_stream(&app).await;
    let hidden = app
        .post_as(
            Some(&moderator),
            &path,
            &json!({"action": "hide", "reason": "advertising"}),
        )
        .await;
    let hidden: Value = hidden.json().await.unwrap();
    assert_eq!(hidden["status"], "moderated");
    assert_eq!(hidden["moderation_reason"], "advertising");
    // The public stream tells that the post was hidden, but not what it said.
    match live.next().await {
        ServerMsg::Board(BoardEvent::PostModerated { post }) => {
            assert_eq!(post.id.0, id);
            assert_eq!(post.title, "[hidden by a moderator]");
            assert!(post.body.is_empty());
        }
        other => panic!("expected the moderation, got {other:?}"),
    }
    let post_path = format!("/board/posts/{id}");
    assert_eq!(
        app.get_as(None, &post_path).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get_as(Some(&other), &post_path).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get_as(Some(&author), &post_path).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get_as(Some(&moderator), &post_path).await.status(),
        StatusCode::OK
    );
    let public: Value = app.get_as(None, "/board/posts").await.json().await.unwrap();
    assert_eq!(public["posts"].as_array().unwrap().len(), 0);
    let audit: Value = app.get_json("/admin/audit?action=board.moderate").await;
    let outcomes: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, vec!["ok", "denied"]);
    app.stop().await;
}

#[tokio::test]
async fn anonymous_reads_can_be_turned_off() {
    // With anonymous reads off, the world, the board and the streams need a token.
    let app = spawn_app_with(|s| s.auth.anonymous_reads = false).await;
    for path in ["/world", "/agents", "/board/posts"] {
        assert_error(
            app.get_as(None, path).await,
            StatusCode::UNAUTHORIZED,
            "missing_token",
        )
        .await;
        assert_eq!(app.get(path).await.status(), StatusCode::OK);
    }
    let refused = refused_upgrade_status(&format!("ws://{}/ws/board", app.addr)).await;
    assert_eq!(
        refused,
        StatusCode::UNAUTHORIZED,
        "the upgrade needs a token"
    );
    app.stop().await;
}
