//! The proxy on loopback, with a real HTTP destination and a real echo server (the loopback
//! range allowed for the test): what passes, what is refused before anything is reached, and
//! the record each request leaves.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use base64::Engine;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::*;

const AGENT: AgentId = AgentId(7);
const WAIT: Duration = Duration::from_secs(10);

fn key() -> ProxyKey {
    ProxyKey::new(vec![42; 32]).unwrap()
}

fn credential(agent: AgentId, secret: &str) -> String {
    let pair = format!("agent-{}:{secret}", agent.0);
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

/// A destination answering `GET /hello` with `hi`, counting its requests.
async fn destination() -> (SocketAddr, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    let app = axum::Router::new().route(
        "/hello",
        axum::routing::get(move || {
            counted.fetch_add(1, Ordering::SeqCst);
            async { "hi" }
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, hits)
}

/// An echo server: sends back what it reads.
async fn echo() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (mut read, mut write) = stream.split();
                let _ = tokio::io::copy(&mut read, &mut write).await;
            });
        }
    });
    addr
}

/// A proxy allowing loopback on `ports` (or no private range at all).
async fn proxy(ports: Vec<u16>, loopback: bool) -> (SocketAddr, mpsc::Receiver<EgressRecord>) {
    let allowed_ranges = if loopback {
        vec!["127.0.0.0/8".parse().unwrap()]
    } else {
        Vec::new()
    };
    let settings = EgressSettings::new(
        key(),
        Policy {
            ports,
            allowed_ranges,
        },
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (sender, records) = mpsc::channel(16);
    tokio::spawn(serve(listener, settings, sender, CancellationToken::new()));
    (addr, records)
}

/// Sends `head` to the proxy and reads until it closes the connection.
async fn ask(proxy: SocketAddr, head: &str) -> String {
    let mut stream = TcpStream::connect(proxy).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(WAIT, stream.read_to_end(&mut answer))
        .await
        .unwrap()
        .unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

fn get(target: SocketAddr, path: &str, auth: Option<&str>) -> String {
    let auth = auth.map_or(String::new(), |a| format!("Proxy-Authorization: {a}\r\n"));
    format!(
        "GET http://{target}{path} HTTP/1.1\r\nHost: {target}\r\n{auth}Connection: close\r\n\r\n"
    )
}

async fn next(records: &mut mpsc::Receiver<EgressRecord>) -> EgressRecord {
    tokio::time::timeout(WAIT, records.recv())
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn an_agents_plain_request_is_forwarded_and_recorded() {
    // With its credential, the agent's GET reaches the destination once; the record names
    // the agent, the destination, the status and the bytes.
    let (target, hits) = destination().await;
    let (proxy, mut records) = proxy(vec![target.port()], true).await;
    let auth = credential(AGENT, &key().secret(AGENT));
    let answer = ask(proxy, &get(target, "/hello", Some(&auth))).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("hi"), "{answer}");
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    let record = next(&mut records).await;
    assert_eq!(record.agent, Some(AGENT));
    assert_eq!(record.target, target.to_string());
    assert_eq!((record.method.as_str(), record.status), ("GET", 200));
    assert_eq!((record.bytes_down, record.refusal), (2, None));
}

#[tokio::test]
async fn without_a_valid_credential_nothing_is_reached() {
    // No credential, another agent's secret, or a made-up one: 407 asking for Basic, the
    // destination never hit, each refusal recorded without an agent.
    let (target, hits) = destination().await;
    let (proxy, mut records) = proxy(vec![target.port()], true).await;
    let forged = credential(AgentId(8), &key().secret(AGENT));
    for auth in [None, Some(forged.as_str()), Some("Basic YWdlbnQtNzpub3Bl")] {
        let answer = ask(proxy, &get(target, "/hello", auth)).await;
        assert!(answer.starts_with("HTTP/1.1 407"), "{answer}");
        assert!(
            answer.to_lowercase().contains("proxy-authenticate: basic"),
            "{answer}"
        );
        let record = next(&mut records).await;
        assert_eq!((record.agent, record.status), (None, 407));
    }
    assert_eq!(hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn private_destinations_and_other_ports_are_refused_before_connecting() {
    // Loopback not allowed: 403 naming the address; an allowed address on a port outside the
    // list: 403 naming the port; a POST: 405. The destination is never hit.
    let (target, hits) = destination().await;
    let auth = credential(AGENT, &key().secret(AGENT));
    let (strict, mut records) = proxy(vec![target.port()], false).await;
    let answer = ask(strict, &get(target, "/hello", Some(&auth))).await;
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    assert!(answer.contains("not a public address"), "{answer}");
    assert_eq!(next(&mut records).await.agent, Some(AGENT));

    let (other_port, mut records) = proxy(vec![443], true).await;
    let answer = ask(other_port, &get(target, "/hello", Some(&auth))).await;
    assert!(
        answer.contains(&format!("port {} is not one", target.port())),
        "{answer}"
    );
    assert_eq!(next(&mut records).await.status, 403);

    let (open, mut records) = proxy(vec![target.port()], true).await;
    let post = get(target, "/hello", Some(&auth)).replacen("GET", "POST", 1);
    let answer = ask(open, &post).await;
    assert!(answer.starts_with("HTTP/1.1 405"), "{answer}");
    assert_eq!(next(&mut records).await.status, 405);
    assert_eq!(hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_connect_tunnel_carries_bytes_both_ways_and_counts_them() {
    // CONNECT opens a tunnel to the echo server; what goes in comes back; closing it leaves a
    // record with the bytes each way.
    let target = echo().await;
    let (proxy, mut records) = proxy(vec![target.port()], true).await;
    let auth = credential(AGENT, &key().secret(AGENT));
    let mut stream = TcpStream::connect(proxy).await.unwrap();
    let head = format!(
        "CONNECT {target} HTTP/1.1\r\nHost: {target}\r\nProxy-Authorization: {auth}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut buffer = [0u8; 256];
    let read = tokio::time::timeout(WAIT, stream.read(&mut buffer))
        .await
        .unwrap()
        .unwrap();
    let opened = String::from_utf8_lossy(&buffer[..read]).into_owned();
    assert!(opened.starts_with("HTTP/1.1 200"), "{opened}");
    stream.write_all(b"ping").await.unwrap();
    let mut pong = [0u8; 4];
    tokio::time::timeout(WAIT, stream.read_exact(&mut pong))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&pong, b"ping");
    drop(stream);
    let record = next(&mut records).await;
    assert_eq!((record.method.as_str(), record.status), ("CONNECT", 200));
    assert_eq!((record.bytes_up, record.bytes_down), (4, 4));
    assert_eq!(record.agent, Some(AGENT));
}
