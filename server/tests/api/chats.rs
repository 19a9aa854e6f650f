//! Direct task chats: private to one person and one agent, live for those two only.

use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::codec::Format;
use shared::{ChatMessage, ServerMsg};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::helpers::{TestApp, WorldStream, assert_error, refused_upgrade_status, spawn_app};

async fn chat_stream(app: &TestApp, token: &str) -> WorldStream {
    let mut request = format!("ws://{}/ws/chats?format=json", app.addr)
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let mut stream = WorldStream {
        socket,
        format: Format::Json,
    };
    assert!(matches!(stream.next().await, ServerMsg::Hello { .. }));
    stream
}

fn chat_message(message: ServerMsg) -> ChatMessage {
    match message {
        ServerMsg::Chat(message) => message,
        other => panic!("expected a chat message, got {other:?}"),
    }
}

#[tokio::test]
async fn a_person_and_an_agent_talk_privately_and_live() {
    // The person opens a chat; both members get each message live on /ws/chats, an outsider's
    // stream stays silent, the agent lists and reads the chat, and outsiders get 404.
    let app = spawn_app().await;
    let agent = app.create_agent("Worker", None).await;
    let agent_token = app.agent_token(agent);
    let (_, hana) = app.account("hana", "human").await;
    let (_, eve) = app.account("eve", "human").await;
    let mut hana_live = chat_stream(&app, &hana).await;
    let mut agent_live = chat_stream(&app, &agent_token).await;
    let mut eve_live = chat_stream(&app, &eve).await;
    let opened = app
        .post_as(
            Some(&hana),
            "/chats",
            &json!({"agent_id": agent.0, "title": "Fix my script", "body": "It fails on line 3."}),
        )
        .await;
    assert_eq!(opened.status(), StatusCode::CREATED);
    let opened: Value = opened.json().await.unwrap();
    let chat = opened["chat"]["id"].as_u64().unwrap();
    assert_eq!(opened["chat"]["human_name"], "hana");
    assert_eq!(
        chat_message(hana_live.next().await).body,
        "It fails on line 3."
    );
    assert_eq!(chat_message(agent_live.next().await).chat_id.0, chat);
    let listed: Value = app
        .get_as(Some(&agent_token), "/chats")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["chats"][0]["id"], chat);
    let answer = app
        .post_as(
            Some(&agent_token),
            &format!("/chats/{chat}/messages"),
            &json!({"body": "Here is a patch:\n- x\n+ y"}),
        )
        .await;
    assert_eq!(answer.status(), StatusCode::CREATED);
    let live = chat_message(hana_live.next().await);
    assert_eq!(live.author.agent_id, Some(agent));
    assert_eq!(live.author.name, "Worker");
    assert_eq!(
        chat_message(agent_live.next().await).body,
        "Here is a patch:\n- x\n+ y"
    );
    // Eve's stream carries nothing: a ping answered before any chat frame proves it is empty.
    eve_live
        .send_raw(tokio_tungstenite::tungstenite::Message::Text(
            r#"{"Ping":{"nonce":7}}"#.into(),
        ))
        .await;
    assert!(matches!(
        eve_live.next().await,
        ServerMsg::Pong { nonce: 7 }
    ));
    let thread: Value = app
        .get_as(Some(&hana), &format!("/chats/{chat}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(thread["messages"].as_array().unwrap().len(), 2);
    assert_error(
        app.get_as(Some(&eve), &format!("/chats/{chat}")).await,
        StatusCode::NOT_FOUND,
        "unknown_chat",
    )
    .await;
    let eve_writes = app
        .post_as(
            Some(&eve),
            &format!("/chats/{chat}/messages"),
            &json!({"body": "me too"}),
        )
        .await;
    assert_error(eve_writes, StatusCode::NOT_FOUND, "unknown_chat").await;
    let eve_list: Value = app.get_as(Some(&eve), "/chats").await.json().await.unwrap();
    assert_eq!(eve_list["chats"].as_array().unwrap().len(), 0);
    let admin_reads = app.get(&format!("/chats/{chat}")).await;
    assert_eq!(admin_reads.status(), StatusCode::OK);
    let admin_writes = app
        .post(&format!("/chats/{chat}/messages"), &json!({"body": "hi"}))
        .await;
    assert_error(admin_writes, StatusCode::FORBIDDEN, "not_a_member").await;
    let anonymous = refused_upgrade_status(&format!("ws://{}/ws/chats", app.addr)).await;
    assert_eq!(
        anonymous,
        StatusCode::UNAUTHORIZED,
        "the chat stream needs a token"
    );
    app.stop().await;
}

#[tokio::test]
async fn bad_chat_input_changes_nothing() {
    // Unknown agents and chats, empty or overlong bodies, and agents opening chats are refused.
    let app = spawn_app().await;
    let agent = app.create_agent("Worker", None).await;
    let (_, hana) = app.account("hana", "human").await;
    let open = async |body: Value| app.post_as(Some(&hana), "/chats", &body).await;
    assert_error(
        open(json!({"agent_id": 999, "title": "t", "body": "b"})).await,
        StatusCode::NOT_FOUND,
        "unknown_agent",
    )
    .await;
    assert_error(
        open(json!({"agent_id": agent.0, "title": "t", "body": " "})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    )
    .await;
    assert_error(
        open(json!({"agent_id": agent.0, "title": "t", "body": "b".repeat(4001)})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    )
    .await;
    let by_agent = app
        .post_as(
            Some(&app.agent_token(agent)),
            "/chats",
            &json!({"agent_id": agent.0, "title": "t", "body": "b"}),
        )
        .await;
    assert_error(by_agent, StatusCode::FORBIDDEN, "forbidden_role").await;
    assert_error(
        app.get_as(Some(&hana), "/chats/5").await,
        StatusCode::NOT_FOUND,
        "unknown_chat",
    )
    .await;
    let listed: Value = app.get("/chats").await.json().await.unwrap();
    assert_eq!(listed["chats"].as_array().unwrap().len(), 0);
    app.stop().await;
}

#[tokio::test]
async fn a_chat_stream_closes_once_its_token_is_revoked() {
    // After the person logs out, the next message in the chat is not delivered to their open
    // stream: it closes with 1008 instead. The agent's stream, still valid, gets the message.
    let app = spawn_app().await;
    let agent = app.create_agent("Worker", None).await;
    let agent_token = app.agent_token(agent);
    let (_, hana) = app.account("hana", "human").await;
    let opened: Value = app
        .post_as(
            Some(&hana),
            "/chats",
            &json!({"agent_id": agent.0, "title": "t", "body": "first"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let chat = opened["chat"]["id"].as_u64().unwrap();
    let mut hana_live = chat_stream(&app, &hana).await;
    let mut agent_live = chat_stream(&app, &agent_token).await;
    let out = app.post_as(Some(&hana), "/auth/logout", &json!({})).await;
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    let sent = app
        .post_as(
            Some(&agent_token),
            &format!("/chats/{chat}/messages"),
            &json!({"body": "after logout"}),
        )
        .await;
    assert_eq!(sent.status(), StatusCode::CREATED);
    assert_eq!(chat_message(agent_live.next().await).body, "after logout");
    use futures_util::StreamExt;
    let closed = tokio::time::timeout(crate::helpers::WAIT, hana_live.socket.next())
        .await
        .expect("a frame in time");
    match closed {
        Some(Ok(tokio_tungstenite::tungstenite::Message::Close(Some(frame)))) => {
            assert_eq!(u16::from(frame.code), 1008, "{frame:?}");
        }
        other => panic!("expected a policy close, got {other:?}"),
    }
    app.stop().await;
}
