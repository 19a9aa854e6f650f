//! The API relay of `village-node` against the real server: an agent on a node without the
//! server reaches it through the relayed socket exactly as through the server's own (its
//! standing, its perception, a loop of steps that walks), each connection counted; with the
//! server unreachable the agent's call fails at once and the relay says why; a stale socket is
//! replaced, any other file at its path is refused, and the socket is removed at the stop; the
//! `village-node` binary does it for the `village-agent` binary.

use std::process::Stdio;
use std::time::Duration;

use agent::client::ApiClient;
use agent::config::{AgentToken, ServerAddress};
use agent::memory::Memory;
use agent::run_loop::{self, LoopEnd, LoopSettings};
use agent::scripted::ScriptedBrain;
use agent::tools::Toolbox;
use runtime::node::relay::{RelayCounters, RelaySettings, RelaySocket};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;
use tokio_util::sync::CancellationToken;

use crate::process::{spawn_agent_at, wait_for_steps};
use crate::server::{TestServer, WAIT, memory_steps};

fn relay_settings(upstream: String) -> RelaySettings {
    RelaySettings {
        upstream,
        connections_max: 8,
        connect_timeout: Duration::from_secs(5),
        connection_time_max: Duration::from_secs(60),
    }
}

#[tokio::test]
async fn an_agent_runs_its_loop_through_the_relayed_socket() {
    // The relay passes the agent's own requests to the server's agent door on TCP, with the
    // container token the runtime fetched: it reads its standing and perception and walks, and
    // every connection it opened is counted. The same token relayed to the public listener
    // is refused: a container token works only through the agent door.
    let server = TestServer::start_with(|settings| {
        settings.server.agent_bind = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    let agent = server.create_agent("Cora Vell", "home-ash").await;
    let token = server
        .runtime_link()
        .await
        .agent_token(agent.id)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let public_path = dir.path().join("public.sock");
    let public = RelaySocket::bind(&public_path).unwrap();
    let stop = CancellationToken::new();
    let public_relay = tokio::spawn(public.serve(
        relay_settings(server.addr.to_string()),
        RelayCounters::default(),
        stop.clone(),
    ));
    let refused = ApiClient::new(
        ServerAddress::Unix { path: public_path },
        agent.id,
        AgentToken::new(&token, "test").unwrap(),
    )
    .balance()
    .await
    .unwrap_err();
    assert!(
        refused.to_string().contains("token_bound_to_agent_door"),
        "{refused}"
    );

    let path = dir.path().join("api").join("api.sock");
    let socket = RelaySocket::bind(&path).unwrap();
    let counters = RelayCounters::default();
    let door = server
        .agent_door
        .expect("the server has an agent door on TCP");
    let relay = tokio::spawn(socket.serve(
        relay_settings(door.to_string()),
        counters.clone(),
        stop.clone(),
    ));
    let client = ApiClient::new(
        ServerAddress::Unix { path: path.clone() },
        agent.id,
        AgentToken::new(&token, "test").unwrap(),
    );
    assert_eq!(client.balance().await.unwrap().agent_id, agent.id.0);
    assert_eq!(
        client.perception(None, None).await.unwrap().world.me.id,
        agent.id
    );

    let memory = Memory::new(dir.path());
    let settings = LoopSettings {
        step: Duration::from_millis(50),
        max_steps: Some(4),
        tools: Toolbox::new(dir.path()),
    };
    let mut brain = ScriptedBrain::new(agent.id);
    let running = CancellationToken::new();
    let run = run_loop::run(&client, &mut brain, &memory, &settings, &running);
    let end = tokio::time::timeout(WAIT, run).await.unwrap().unwrap();
    assert_eq!(end, LoopEnd::StepsDone { steps: 4 });
    assert_eq!(memory_steps(memory.path()).len(), 4);
    assert!(counters.relayed.get() >= 2, "{}", counters.relayed.get());
    assert_eq!(counters.unreachable.get(), 0);

    stop.cancel();
    relay.await.unwrap();
    public_relay.await.unwrap();
    assert!(!path.exists(), "the socket outlived the relay");
    server.stop().await;
}

#[tokio::test]
async fn an_unreachable_server_fails_the_call_and_is_counted() {
    // Upstream is a port nothing listens on: the agent's call ends in an error, not a hang,
    // and the relay counts the connection it could not pass on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let upstream = closed.local_addr().unwrap().to_string();
    drop(closed);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("api.sock");
    let counters = RelayCounters::default();
    let stop = CancellationToken::new();
    let socket = RelaySocket::bind(&path).unwrap();
    let relay =
        tokio::spawn(socket.serve(relay_settings(upstream), counters.clone(), stop.clone()));
    let client = ApiClient::new(
        ServerAddress::Unix { path: path.clone() },
        shared::AgentId(1),
        AgentToken::new("avt_0123456789abcdef0123456789abcdef", "test").unwrap(),
    );
    let failed = tokio::time::timeout(WAIT, client.balance()).await.unwrap();
    assert!(failed.is_err(), "{failed:?}");
    assert_eq!(counters.unreachable.get(), 1);
    assert_eq!(counters.relayed.get(), 0);
    stop.cancel();
    relay.await.unwrap();
}

#[tokio::test]
async fn a_stale_socket_is_replaced_and_another_file_is_refused() {
    // A socket left by a crashed relay is bound over; a regular file at the path is kept and
    // the bind refused, naming it.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("api.sock");
    let stale = std::os::unix::net::UnixListener::bind(&path).unwrap();
    drop(stale);
    assert!(path.exists());
    drop(RelaySocket::bind(&path).unwrap());
    let file = dir.path().join("notes.txt");
    std::fs::write(&file, "keep me").unwrap();
    let refused = RelaySocket::bind(&file).err().unwrap();
    assert!(refused.to_string().contains("is not a socket"), "{refused}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep me");
}

/// The value of `key=` in a log line (`addr=127.0.0.1:9465`), colours or not.
fn field(line: &str, key: &str) -> Option<String> {
    let plain: String = {
        let mut out = String::new();
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            if c == '\x1b' {
                // An escape sequence runs to its final letter.
                for rest in chars.by_ref() {
                    if rest.is_ascii_alphabetic() {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    };
    let at = plain.find(&format!("{key}="))? + key.len() + 1;
    Some(plain[at..].split_whitespace().next()?.to_string())
}

#[tokio::test]
async fn the_village_node_binary_relays_for_the_agent_binary_and_stops_on_sigterm() {
    // `village-node` from its environment only relays a socket; the `village-agent` binary set
    // to that socket runs its steps against the server; the node's metrics count the relayed
    // connections; SIGTERM ends the node with 0 and its socket is gone.
    let server = TestServer::start().await;
    let agent = server.create_agent("Eda Rook", "home-ash").await;
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("api").join("api.sock");
    let mut node = Command::new(env!("CARGO_BIN_EXE_village-node"))
        .env_clear()
        .env("VILLAGE_NODE__NODE__NAME", "sparky2")
        .env("VILLAGE_NODE__RELAY__SOCKET", &socket)
        .env("VILLAGE_NODE__RELAY__SERVER", server.addr.to_string())
        .env("VILLAGE_NODE__METRICS__BIND", "127.0.0.1:0")
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        // Its log goes to standard output.
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(node.stdout.take().unwrap()).lines();
    let metrics = tokio::time::timeout(WAIT, async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if line.contains("serving metrics") {
                return field(&line, "addr").unwrap();
            }
        }
        panic!("village-node ended before serving its metrics");
    })
    .await
    .unwrap();
    // The rest of its log is read, so its pipe never fills.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    assert!(
        socket.exists(),
        "the relay socket is bound before the metrics listen"
    );

    let workspace = tempfile::tempdir().unwrap();
    let url = format!("unix:{}", socket.display());
    let mut agent_process = spawn_agent_at(&url, &agent, workspace.path(), Stdio::null());
    wait_for_steps(&server, workspace.path(), 2).await;
    agent_process.kill().await.unwrap();

    let text = reqwest::get(format!("http://{metrics}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let relayed: u64 = text
        .lines()
        .find_map(|line| line.strip_prefix("village_node_relayed_connections_total "))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or_else(|| panic!("no relayed count in {text}"));
    assert!(relayed >= 2, "{text}");

    let pid = node.id().unwrap().to_string();
    let sent = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .unwrap();
    assert!(sent.success());
    let status = tokio::time::timeout(WAIT, node.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.code(), Some(0), "{status}");
    assert!(!socket.exists(), "the socket outlived village-node");
    server.stop().await;
}

#[tokio::test]
async fn a_connection_held_past_its_lifetime_is_closed() {
    // An agent that opens a connection and sends nothing does not keep its slot: the relay
    // closes it once its lifetime is over, and the next connection is relayed as before.
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("api.sock");
    let socket = RelaySocket::bind(&path).unwrap();
    let counters = RelayCounters::default();
    let stop = CancellationToken::new();
    let settings = RelaySettings {
        connections_max: 1,
        connection_time_max: Duration::from_millis(200),
        ..relay_settings(server.addr.to_string())
    };
    let relay = tokio::spawn(socket.serve(settings, counters.clone(), stop.clone()));
    let mut idle = tokio::net::UnixStream::connect(&path).await.unwrap();
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(
        WAIT,
        tokio::io::AsyncReadExt::read_to_end(&mut idle, &mut rest),
    )
    .await
    .unwrap();
    assert!(closed.is_ok(), "{closed:?}");
    assert!(rest.is_empty());
    assert_eq!(
        counters.timed_out.get(),
        1,
        "closed by the relay, not the server"
    );
    let agent = server.create_agent("Fen Ashby", "home-ash").await;
    let client = ApiClient::new(
        ServerAddress::Unix { path },
        agent.id,
        AgentToken::new(&agent.token, "test").unwrap(),
    );
    assert_eq!(client.balance().await.unwrap().agent_id, agent.id.0);
    assert_eq!(counters.relayed.get(), 2);
    stop.cancel();
    relay.await.unwrap();
    server.stop().await;
}
