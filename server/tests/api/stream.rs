//! `WS /ws/world`: message order, formats, bad frames, slow clients, and viewport filtering.

use futures_util::StreamExt;
use serde_json::json;
use shared::codec::{self, Format, Frame};
use shared::{AgentId, ClientMsg, Delta, PROTOCOL_VERSION, ServerMsg, TilePos, TileRect};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::helpers::{WAIT, WorldStream, spawn_app, spawn_app_with};

/// Reads until the server closes; returns the close code (panics on anything odd).
async fn close_code(stream: &mut WorldStream) -> (CloseCode, String, Vec<ServerMsg>) {
    let mut seen = Vec::new();
    loop {
        let message = tokio::time::timeout(WAIT, stream.socket.next())
            .await
            .expect("closed in time");
        match message {
            Some(Ok(Message::Close(Some(close)))) => {
                return (close.code, close.reason.to_string(), seen);
            }
            Some(Ok(Message::Binary(bytes))) => seen.push(
                codec::decode_server(&Frame::Binary(bytes.to_vec()), Format::Postcard, 1 << 24)
                    .unwrap(),
            ),
            Some(Ok(Message::Text(text))) => seen.push(
                codec::decode_server(&Frame::Text(text.to_string()), Format::Json, 1 << 24)
                    .unwrap(),
            ),
            Some(Ok(_)) => {}
            other => panic!("expected a close frame, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn hello_then_snapshot_then_one_delta_per_tick_in_both_formats() {
    // Both formats open with Hello and a Snapshot of the world, then deltas with consecutive ticks.
    let app = spawn_app().await;
    app.create_agent("Watched", None).await;
    for format in [Format::Postcard, Format::Json] {
        let mut stream = WorldStream::connect(app.addr, format).await;
        match stream.next().await {
            ServerMsg::Hello {
                protocol_version, ..
            } => assert_eq!(protocol_version, PROTOCOL_VERSION),
            other => panic!("expected Hello, got {other:?}"),
        }
        let ServerMsg::Snapshot(snapshot) = stream.next().await else {
            panic!("expected a snapshot")
        };
        assert_eq!(snapshot.agents.len(), 1);
        assert_eq!((snapshot.map.width, snapshot.map.height), (48, 32));
        assert!(snapshot.landmarks.len() >= 7);
        let mut tick = snapshot.tick.0;
        for _ in 0..10 {
            let ServerMsg::Delta(delta) = stream.next().await else {
                panic!("expected a delta")
            };
            assert_eq!(delta.tick.0, tick + 1);
            tick = delta.tick.0;
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn an_unknown_format_is_refused_before_the_upgrade() {
    // ?format=xml gets a 422 instead of a WebSocket.
    let app = spawn_app().await;
    let error = tokio_tungstenite::connect_async(format!("ws://{}/ws/world?format=xml", app.addr))
        .await
        .unwrap_err();
    match error {
        tokio_tungstenite::tungstenite::Error::Http(response) => assert_eq!(response.status(), 422),
        other => panic!("expected an HTTP error, got {other}"),
    }
    app.stop().await;
}

#[tokio::test]
async fn ping_gets_pong_and_a_wrong_protocol_hello_gets_an_error_and_a_close() {
    // A Ping is answered with the same nonce; a Hello with another protocol version is refused.
    let app = spawn_app().await;
    let mut stream = app.stream().await;
    stream.skip_intro().await;
    let ping = codec::encode_client(&ClientMsg::Ping { nonce: 77 }, Format::Postcard).unwrap();
    let Frame::Binary(bytes) = ping else { panic!() };
    stream.send_raw(Message::Binary(bytes.into())).await;
    loop {
        match stream.next().await {
            ServerMsg::Pong { nonce } => {
                assert_eq!(nonce, 77);
                break;
            }
            ServerMsg::Delta(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    let hello = codec::encode_client(
        &ClientMsg::Hello {
            protocol_version: 999,
        },
        Format::Postcard,
    )
    .unwrap();
    let Frame::Binary(bytes) = hello else {
        panic!()
    };
    stream.send_raw(Message::Binary(bytes.into())).await;
    let (code, reason, seen) = close_code(&mut stream).await;
    assert_eq!(code, CloseCode::Policy);
    assert!(reason.contains("999"), "{reason}");
    assert!(
        seen.iter()
            .any(|m| matches!(m, ServerMsg::Error { code, .. } if code == "protocol_mismatch"))
    );
    app.stop().await;
}

#[tokio::test]
async fn garbage_and_oversized_frames_close_only_their_own_connection() {
    // Undecodable bytes close with 1007 and an Error message; a frame over the limit closes with
    // 1009; a bystander keeps getting every tick.
    let app = spawn_app().await;
    let mut bystander = app.stream().await;
    let mut tick = bystander.skip_intro().await;
    let mut garbage = app.stream().await;
    garbage.skip_intro().await;
    garbage
        .send_raw(Message::Binary(vec![0xff; 16].into()))
        .await;
    let (code, _, seen) = close_code(&mut garbage).await;
    assert_eq!(code, CloseCode::Invalid);
    assert!(
        seen.iter()
            .any(|m| matches!(m, ServerMsg::Error { code, .. } if code == "bad_frame"))
    );
    let mut wrong_kind = app.stream().await;
    wrong_kind.skip_intro().await;
    wrong_kind
        .send_raw(Message::Text("{\"Ping\":{\"nonce\":1}}".into()))
        .await;
    assert_eq!(close_code(&mut wrong_kind).await.0, CloseCode::Invalid);
    let mut big = app.stream().await;
    big.skip_intro().await;
    // The write may fail if the server closes first; the close frame is what matters.
    let _ = futures_util::SinkExt::send(
        &mut big.socket,
        Message::Binary(vec![0u8; 70 * 1024].into()),
    )
    .await;
    let (code, reason, _) = close_code(&mut big).await;
    assert_eq!(code, CloseCode::Size);
    assert!(reason.contains("too"), "{reason}");
    for _ in 0..20 {
        let ServerMsg::Delta(delta) = bystander.next().await else {
            panic!("deltas only")
        };
        assert_eq!(delta.tick.0, tick + 1, "the bystander missed no tick");
        tick = delta.tick.0;
    }
    app.stop().await;
}

#[tokio::test]
async fn a_client_that_stops_reading_gets_resync_and_a_fresh_snapshot() {
    // With a tiny per-client queue, a client that reads nothing while the world ticks falls
    // behind; when it reads again it finds Resync followed by a Snapshot, never a gap.
    let app = spawn_app_with(|s| {
        s.limits.tick_interval_ms = 5;
        s.stream.client_queue_frames = 4;
        s.stream.socket_send_buffer_bytes = 8 * 1024;
    })
    .await;
    // Walking agents make the JSON deltas big enough to fill the small socket buffers soon.
    for i in 0..40 {
        let id = app.create_agent(&format!("Walker {i}"), None).await;
        let target = if i % 2 == 0 { "home-rowan" } else { "library" };
        app.post(
            &format!("/agents/{id}/move"),
            &serde_json::json!({ "landmark": target }),
        )
        .await;
    }
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(2048).unwrap();
    let tcp = socket.connect(app.addr).await.unwrap();
    let url = format!("ws://{}/ws/world?format=json", app.addr);
    let (ws, _) =
        tokio_tungstenite::client_async(url, tokio_tungstenite::MaybeTlsStream::Plain(tcp))
            .await
            .unwrap();
    let mut slow = WorldStream {
        socket: ws,
        format: Format::Json,
    };
    // Wait, without reading `slow`, while a bystander sees 400 ticks go by.
    let mut bystander = app.stream().await;
    bystander.skip_intro().await;
    for _ in 0..400 {
        bystander.next().await;
    }
    let mut last_tick = None;
    for _ in 0..5_000 {
        match slow.next().await {
            ServerMsg::Hello { .. } => {}
            ServerMsg::Snapshot(s) => last_tick = Some(s.tick.0),
            ServerMsg::Delta(d) => {
                if let Some(t) = last_tick {
                    assert_eq!(d.tick.0, t + 1, "deltas follow on without gaps");
                }
                last_tick = Some(d.tick.0);
            }
            ServerMsg::Resync { reason } => {
                assert!(reason.contains("behind"), "{reason}");
                let ServerMsg::Snapshot(snapshot) = slow.next().await else {
                    panic!("a snapshot follows Resync")
                };
                assert!(snapshot.tick.0 > last_tick.unwrap_or(0));
                app.stop().await;
                return;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    panic!("the slow client never got a Resync");
}

/// The east strip of the village map: Ash Lodge and Rowan Row lie in it, Willow Cottage not.
const EAST: TileRect = TileRect {
    x: 36,
    y: 0,
    w: 12,
    h: 32,
};

/// Reads deltas, each checked by `check`, until it says that was the awaited one (bounded by
/// message count and the stream's own wait per message).
async fn deltas_until(stream: &mut WorldStream, mut check: impl FnMut(&Delta) -> bool) {
    for _ in 0..2_000 {
        match stream.next().await {
            ServerMsg::Delta(delta) => {
                if check(&delta) {
                    return;
                }
            }
            other => panic!("expected deltas only, got {other:?}"),
        }
    }
    panic!("the awaited delta never came");
}

#[tokio::test]
async fn a_viewport_client_gets_only_its_area_and_agents_crossing_its_edge() {
    // After a Viewport of the map's east strip the client is told to drop the agent outside it
    // and then hears only of agents inside: one that walks in arrives whole in `spawned` (never
    // as a move), one that walks out is `despawned`; bad viewports get `bad_viewport` and
    // change nothing; panning swaps the agents without any of them moving.
    let app = spawn_app_with(|s| s.stream.viewport_margin_tiles = 0).await;
    let ash = app.create_agent("Ash", Some("home-ash")).await;
    let rowan = app.create_agent("Rowan", Some("home-rowan")).await;
    let willow = app.create_agent("Willow", Some("home-willow")).await;
    let mut stream = app.stream().await;
    stream.skip_intro().await;
    for bad in [
        TileRect { w: 0, ..EAST },
        TileRect { x: 48, ..EAST },
        TileRect { w: 257, ..EAST },
    ] {
        stream.send(&ClientMsg::Viewport { area: bad }).await;
        loop {
            match stream.next().await {
                ServerMsg::Error { code, .. } => {
                    assert_eq!(code, "bad_viewport");
                    break;
                }
                ServerMsg::Delta(delta) => assert!(delta.despawned.is_empty()),
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    stream.send(&ClientMsg::Viewport { area: EAST }).await;
    deltas_until(&mut stream, |delta| {
        if delta.despawned.is_empty() {
            return false;
        }
        assert_eq!(delta.despawned, vec![willow], "only Willow lies outside");
        true
    })
    .await;

    let mut ends = Vec::new();
    for (who, to) in [(willow, "home-ash"), (rowan, "home-willow")] {
        let response = app
            .post(&format!("/agents/{who}/move"), &json!({ "landmark": to }))
            .await;
        assert_eq!(response.status(), reqwest::StatusCode::ACCEPTED);
        let plan: serde_json::Value = response.json().await.unwrap();
        ends.push(serde_json::from_value::<TilePos>(plan["to"].clone()).unwrap());
    }
    let willow_end = ends[0];
    let (mut willow_in, mut rowan_out, mut willow_at) = (false, false, None);
    deltas_until(&mut stream, |delta| {
        for step in &delta.moved {
            assert!(EAST.contains(step.pos), "a move outside: {step:?}");
            if step.id == willow {
                willow_at = Some(step.pos);
            }
            assert!(
                step.id != willow || willow_in,
                "Willow must arrive whole first"
            );
            assert!(step.id != rowan || !rowan_out, "Rowan moved after leaving");
        }
        for view in &delta.spawned {
            assert_eq!(view.id, willow, "only Willow comes in");
            assert!(EAST.contains(view.pos), "{view:?}");
            assert_eq!(view.tier, "seedling");
            willow_in = true;
            willow_at = Some(view.pos);
        }
        for id in &delta.despawned {
            assert_eq!(*id, rowan, "only Rowan leaves");
            rowan_out = true;
        }
        assert!(delta.status.iter().all(|c| c.id != rowan || !rowan_out));
        willow_in && rowan_out && willow_at == Some(willow_end)
    })
    .await;

    // Pan to the west, next to the east strip: Rowan (walking on to Willow Cottage) comes
    // back, Ash and Willow (both at Ash Lodge) go.
    let west = TileRect {
        x: 0,
        y: 0,
        w: 36,
        h: 32,
    };
    let rowan_at = app.pos(rowan).await;
    assert!(west.contains(rowan_at), "Rowan walked to {rowan_at}");
    stream.send(&ClientMsg::Viewport { area: west }).await;
    deltas_until(&mut stream, |delta| {
        if delta.spawned.is_empty() && delta.despawned.is_empty() {
            return false;
        }
        let spawned: Vec<AgentId> = delta.spawned.iter().map(|v| v.id).collect();
        let mut despawned = delta.despawned.clone();
        despawned.sort_unstable();
        assert_eq!(spawned, vec![rowan]);
        assert_eq!(despawned, vec![ash, willow]);
        true
    })
    .await;
    app.stop().await;
}
