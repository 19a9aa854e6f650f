//! Abusive clients cannot grow the server: 100 oversized frames cost less than 1 MiB of memory
//! while a well-behaved client keeps receiving every tick.

use futures_util::{SinkExt, StreamExt};
use shared::ServerMsg;
use shared::codec::{self, Format, Frame};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::server_process::{START_WAIT, ServerProcess};

const ATTEMPTS: usize = 100;
const WARM_UP_ATTEMPTS: usize = 20;
const GROWTH_BYTES_MAX: u64 = 1024 * 1024;
/// Consecutive deltas the bystander must still get once the abuse is over.
const LIVE_DELTAS_AFTER: u64 = 3;

/// Connects, sends one 1 MiB frame and expects the 1009 close.
async fn oversized_attempt(server: &ServerProcess) {
    let (mut socket, _) =
        tokio_tungstenite::connect_async(format!("ws://{}/ws/world", server.addr))
            .await
            .unwrap();
    // The send may fail half-way once the server has refused the frame and closed.
    let _ = socket
        .send(Message::Binary(vec![7u8; 1024 * 1024].into()))
        .await;
    loop {
        match tokio::time::timeout(START_WAIT, socket.next())
            .await
            .unwrap()
        {
            Some(Ok(Message::Close(Some(close)))) => {
                assert_eq!(close.code, CloseCode::Size);
                return;
            }
            Some(Ok(_)) => {}
            // A reset after the close frame was lost is also a refusal; nothing more to read.
            Some(Err(_)) | None => return,
        }
    }
}

#[tokio::test]
async fn a_hundred_oversized_frames_grow_memory_by_less_than_a_mebibyte() {
    // Measured as the server process's resident memory before and after, with a bystander
    // checking that no tick is skipped meanwhile and that ticks still arrive afterwards.
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path());
    let (bystander, _) = tokio_tungstenite::connect_async(format!("ws://{}/ws/world", server.addr))
        .await
        .unwrap();
    // The watcher publishes how many deltas it has seen, each checked to follow the last.
    let (seen, mut deltas) = tokio::sync::watch::channel(0u64);
    let watcher = tokio::spawn(async move {
        let mut bystander = bystander;
        let mut last = None::<u64>;
        while let Some(message) = bystander.next().await {
            let Ok(Message::Binary(bytes)) = message else {
                continue;
            };
            let frame = Frame::Binary(bytes.to_vec());
            match codec::decode_server(&frame, Format::Postcard, 1 << 24).unwrap() {
                ServerMsg::Snapshot(s) => last = Some(s.tick.0),
                ServerMsg::Delta(d) => {
                    if let Some(t) = last {
                        assert_eq!(d.tick.0, t + 1, "the bystander missed a tick");
                    }
                    last = Some(d.tick.0);
                    seen.send_modify(|count| *count += 1);
                }
                ServerMsg::Resync { .. } => panic!("the bystander fell behind"),
                _ => {}
            }
        }
        panic!("the server closed the bystander's stream");
    });
    for _ in 0..WARM_UP_ATTEMPTS {
        oversized_attempt(&server).await;
    }
    let before = server.rss_bytes();
    for _ in 0..ATTEMPTS {
        oversized_attempt(&server).await;
    }
    let after = server.rss_bytes();
    // Still live after the abuse: a few more consecutive deltas arrive (bounded wait; a busy
    // machine may have delayed them, which is not a failure of the server).
    let target = *deltas.borrow() + LIVE_DELTAS_AFTER;
    let waited = tokio::time::timeout(START_WAIT, deltas.wait_for(|count| *count >= target)).await;
    match waited {
        Ok(Ok(_)) => watcher.abort(),
        // The watcher ended, which it does only by panicking: its panic says why.
        Ok(Err(_)) => watcher.await.unwrap(),
        Err(_) => panic!("the bystander got no tick for {START_WAIT:?} after the abuse"),
    }
    let growth = after.saturating_sub(before);
    println!(
        "RSS before {before} B, after {after} B, growth {growth} B over {ATTEMPTS} oversized frames"
    );
    assert!(growth < GROWTH_BYTES_MAX, "memory grew by {growth} bytes");
}
