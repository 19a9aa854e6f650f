//! The viewer's logic, headless (`MinimalPlugins`, no window or GPU): frames go in through a
//! test socket exactly as the network would deliver them, and the entities, positions, link
//! status and inspector text that come out are checked.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use bevy::prelude::*;
use bevy::time::TimeUpdateStrategy;
use client::net::session::StreamEnd;
use client::net::socket::{Connector, Outgoing, SocketEvent, socket_pair};
use client::net::{LinkState, LinkStatus, StreamTarget};
use client::world::agents::{Agent, AgentLook};
use client::world::coords::Grid;
use client::world::model::WorldModel;
use client::world::motion::Motion;
use crossbeam_channel::{Receiver, Sender};
use shared::api::{AgentDetail, DowngradeView, LlmCallView, Standing};
use shared::codec::{self, Format, Frame};
use shared::protocol::{Moved, VillageEvent};
use shared::runtime::AgentBrain;
use shared::{
    AgentId, AgentView, ClientMsg, Delta, Entitlements, Facing, GpuShare, PROTOCOL_VERSION,
    ServerMsg, Snapshot, Tick, TilePos,
};

/// The server's ends of one connection the viewer opened.
struct Peer {
    events: Sender<SocketEvent>,
    outgoing: Receiver<Outgoing>,
}

struct Harness {
    app: App,
    peers: Receiver<Peer>,
}

/// Each frame advances real time by this much, so backoff and glides are deterministic.
const FRAME: Duration = Duration::from_millis(100);

fn harness() -> Harness {
    let (tx, peers) = crossbeam_channel::unbounded();
    let connector: Connector = Arc::new(move |_url: &str| {
        let (handle, events, outgoing) = socket_pair();
        tx.send(Peer { events, outgoing })
            .expect("the test holds the receiver");
        handle
    });
    let mut app = App::new();
    app.add_plugins(MinimalPlugins)
        .insert_resource(TimeUpdateStrategy::ManualDuration(FRAME))
        .insert_resource(StreamTarget {
            url: "ws://test/ws/world".into(),
            connector,
        })
        .add_plugins(client::logic_plugin);
    Harness { app, peers }
}

impl Harness {
    /// Runs frames until the viewer opens a connection; returns the server's ends.
    fn accept(&mut self) -> Peer {
        for _ in 0..600 {
            self.app.update();
            if let Ok(peer) = self.peers.try_recv() {
                peer.events.send(SocketEvent::Opened).unwrap();
                return peer;
            }
        }
        panic!("the viewer never connected");
    }

    /// Accepts a connection and sends Hello and `snapshot` on it.
    fn connect_with(&mut self, snapshot: Snapshot) -> Peer {
        let peer = self.accept();
        send(&peer, &hello(PROTOCOL_VERSION));
        send(&peer, &ServerMsg::Snapshot(snapshot));
        self.app.update();
        self.app.update();
        peer
    }

    /// Agent id → drawn target tile centre, for every agent entity.
    fn agents(&mut self) -> Vec<(u64, Vec2)> {
        let world = self.app.world_mut();
        let mut q = world.query::<(&Agent, &Motion)>();
        let mut all: Vec<(u64, Vec2)> = q.iter(world).map(|(a, m)| (a.id.0, m.to)).collect();
        all.sort_by_key(|(id, _)| *id);
        all
    }

    fn status(&self) -> LinkStatus {
        self.app.world().resource::<LinkStatus>().clone()
    }
}

fn send(peer: &Peer, msg: &ServerMsg) {
    let frame = codec::encode_server(msg, Format::Postcard).unwrap();
    peer.events.send(SocketEvent::Frame(frame)).unwrap();
}

fn hello(version: u32) -> ServerMsg {
    ServerMsg::Hello {
        protocol_version: version,
        server_version: "test".into(),
    }
}

fn grid() -> Grid {
    Grid::of(&shared::fixtures::village_map())
}

fn view(id: u64, x: u16, y: u16) -> AgentView {
    AgentView {
        display_name: format!("Agent {id}"),
        persona: "a tinkerer".into(),
        ..shared::fixtures::agent_view(id, x, y)
    }
}

fn snapshot(tick: u64, agents: Vec<AgentView>) -> Snapshot {
    shared::fixtures::snapshot(tick, agents)
}

fn at(x: u16, y: u16) -> Vec2 {
    grid().center(TilePos::new(x, y))
}

#[test]
fn snapshot_then_deltas_give_the_right_entities_and_positions() {
    // Every agent of the snapshot becomes an entity at its tile; a delta's moves, spawns,
    // despawns and tier changes land on the entities, and the viewer said Hello first.
    let mut h = harness();
    let peer = h.connect_with(snapshot(
        5,
        vec![view(1, 2, 2), view(2, 5, 5), view(3, 9, 1)],
    ));
    match peer.outgoing.try_recv() {
        Ok(Outgoing::Frame(frame)) => assert_eq!(
            codec::decode_client(&frame, Format::Postcard, 1024).unwrap(),
            ClientMsg::Hello {
                protocol_version: PROTOCOL_VERSION
            }
        ),
        other => panic!("expected the viewer's Hello, got {other:?}"),
    }
    assert_eq!(
        h.agents(),
        vec![(1, at(2, 2)), (2, at(5, 5)), (3, at(9, 1))]
    );
    assert_eq!(h.status().state, LinkState::Live);

    let mut delta = Delta::empty(Tick(6));
    delta.moved.push(Moved {
        id: AgentId(1),
        pos: TilePos::new(3, 2),
        facing: Facing::East,
    });
    delta.spawned.push(view(4, 7, 7));
    delta.despawned.push(AgentId(2));
    delta.events.push(VillageEvent::TierChanged {
        agent: AgentId(3),
        from: "seedling".into(),
        to: "worker".into(),
        reason: "reward".into(),
    });
    send(&peer, &ServerMsg::Delta(delta));
    h.app.update();
    h.app.update();
    assert_eq!(
        h.agents(),
        vec![(1, at(3, 2)), (3, at(9, 1)), (4, at(7, 7))]
    );
    let world = h.app.world_mut();
    let looks: Vec<(u64, String)> = world
        .query::<(&Agent, &AgentLook)>()
        .iter(world)
        .map(|(a, l)| (a.id.0, l.tier.clone()))
        .collect();
    assert!(looks.contains(&(3, "worker".to_string())), "{looks:?}");
    assert_eq!(world.resource::<WorldModel>().tick(), Some(Tick(6)));
}

#[test]
fn a_step_is_interpolated_and_a_jump_is_not() {
    // A one-tile move glides over frames (drawn between the tiles, then on the new one); a
    // five-tile move is drawn at its destination at once.
    let mut h = harness();
    let peer = h.connect_with(snapshot(1, vec![view(1, 2, 2), view(2, 10, 10)]));
    let mut delta = Delta::empty(Tick(2));
    delta.moved.push(Moved {
        id: AgentId(1),
        pos: TilePos::new(3, 2),
        facing: Facing::East,
    });
    delta.moved.push(Moved {
        id: AgentId(2),
        pos: TilePos::new(15, 10),
        facing: Facing::East,
    });
    send(&peer, &ServerMsg::Delta(delta));
    h.app.update();
    let drawn = |h: &mut Harness, id: u64| {
        let world = h.app.world_mut();
        world
            .query::<(&Agent, &Transform)>()
            .iter(world)
            .find(|(a, _)| a.id.0 == id)
            .map(|(_, t)| t.translation.truncate())
            .unwrap()
    };
    let first = drawn(&mut h, 1);
    assert!(
        first.x < at(3, 2).x,
        "a step must not arrive at once: {first}"
    );
    assert_eq!(drawn(&mut h, 2), at(15, 10));
    for _ in 0..20 {
        h.app.update();
    }
    assert_eq!(drawn(&mut h, 1), at(3, 2));
}

#[test]
fn resync_rebuilds_from_the_new_snapshot() {
    // After Resync the next snapshot replaces every entity: nothing of the old world remains.
    let mut h = harness();
    let peer = h.connect_with(snapshot(1, vec![view(1, 2, 2), view(2, 5, 5)]));
    send(
        &peer,
        &ServerMsg::Resync {
            reason: "behind".into(),
        },
    );
    send(
        &peer,
        &ServerMsg::Snapshot(snapshot(40, vec![view(2, 6, 6), view(7, 1, 1)])),
    );
    h.app.update();
    h.app.update();
    assert_eq!(h.agents(), vec![(2, at(6, 6)), (7, at(1, 1))]);
    assert_eq!(
        h.app.world().resource::<WorldModel>().tick(),
        Some(Tick(40))
    );
}

#[test]
fn a_protocol_mismatch_is_said_plainly_and_retried_slowly() {
    // A server speaking another protocol ends the connection with a message naming both
    // versions, and the viewer waits the longest backoff before asking again.
    let mut h = harness();
    let peer = h.accept();
    send(&peer, &hello(PROTOCOL_VERSION + 7));
    h.app.update();
    let status = h.status();
    assert_eq!(
        status.last_end,
        Some(StreamEnd::ProtocolMismatch {
            server: PROTOCOL_VERSION + 7,
            client: PROTOCOL_VERSION
        })
    );
    let now = h.app.world().resource::<Time<Real>>().elapsed_secs_f64();
    match status.state {
        LinkState::Waiting { retry_at, .. } => assert!(retry_at - now >= 29.0, "{retry_at} {now}"),
        other => panic!("expected a wait, got {other:?}"),
    }
    let text = client::ui::status_line::link_text(&status, now);
    assert!(
        text.contains(&format!("server speaks {}", PROTOCOL_VERSION + 7)),
        "{text}"
    );
    // The viewer let go of the socket: after its Hello, the last thing it sent is a close.
    let sent: Vec<Outgoing> = peer.outgoing.try_iter().collect();
    assert_eq!(sent.last(), Some(&Outgoing::Close), "{sent:?}");
}

#[test]
fn garbage_and_a_mid_stream_close_reconnect_without_panicking() {
    // Bytes that are not a message end the connection with a reason and a retry; the picture
    // stays; the next connection starts from its own snapshot. A close does the same.
    let mut h = harness();
    let peer = h.connect_with(snapshot(1, vec![view(1, 2, 2)]));
    peer.events
        .send(SocketEvent::Frame(Frame::Binary(vec![
            0xff, 0x13, 0x37, 0x00, 0x42,
        ])))
        .unwrap();
    h.app.update();
    assert!(
        matches!(h.status().last_end, Some(StreamEnd::BadFrame(_))),
        "{:?}",
        h.status()
    );
    assert!(matches!(h.status().state, LinkState::Waiting { .. }));
    assert_eq!(
        h.agents(),
        vec![(1, at(2, 2))],
        "the old picture stays until a new snapshot"
    );

    let peer = h.connect_with(snapshot(9, vec![view(1, 4, 4), view(5, 6, 6)]));
    assert_eq!(h.agents(), vec![(1, at(4, 4)), (5, at(6, 6))]);
    assert_eq!(h.status().sessions, 2);

    // Half a frame, then the connection drops: the socket reports a failure.
    peer.events
        .send(SocketEvent::Failed(
            "Protocol(ResetWithoutClosingHandshake)".into(),
        ))
        .unwrap();
    h.app.update();
    assert!(matches!(h.status().last_end, Some(StreamEnd::Closed(_))));
    let _third = h.accept();
}

#[test]
fn a_skipped_tick_drops_the_connection_for_a_fresh_snapshot() {
    // A delta that does not follow the last applied tick is not merged: the viewer reconnects.
    let mut h = harness();
    let peer = h.connect_with(snapshot(3, vec![view(1, 2, 2)]));
    let mut delta = Delta::empty(Tick(9));
    delta.despawned.push(AgentId(1));
    send(&peer, &ServerMsg::Delta(delta));
    h.app.update();
    h.app.update();
    assert_eq!(h.agents(), vec![(1, at(2, 2))]);
    assert!(
        matches!(h.status().state, LinkState::Waiting { .. }),
        "{:?}",
        h.status()
    );
}

#[test]
fn a_refused_viewport_leaves_the_stream_open() {
    // `bad_viewport` and `viewport_not_applied` are answers to one request, not the end of the
    // connection: the viewer stays live and keeps applying deltas.
    let mut h = harness();
    let peer = h.connect_with(snapshot(1, vec![view(1, 2, 2)]));
    for code in ["bad_viewport", "viewport_not_applied"] {
        send(
            &peer,
            &ServerMsg::Error {
                code: code.into(),
                message: "no".into(),
            },
        );
    }
    let mut delta = Delta::empty(Tick(2));
    delta.spawned.push(view(2, 3, 3));
    send(&peer, &ServerMsg::Delta(delta));
    h.app.update();
    h.app.update();
    assert_eq!(h.status().state, LinkState::Live, "{:?}", h.status());
    assert_eq!(h.agents(), vec![(1, at(2, 2)), (2, at(3, 3))]);
}

#[test]
fn delta_before_hello_is_refused() {
    // The first message must be Hello; a server that starts with anything else is not believed.
    let mut h = harness();
    let peer = h.accept();
    send(&peer, &ServerMsg::Delta(Delta::empty(Tick(1))));
    h.app.update();
    match h.status().last_end {
        Some(StreamEnd::BadFrame(reason)) => assert!(reason.contains("Hello"), "{reason}"),
        other => panic!("expected a bad frame, got {other:?}"),
    }
}

#[test]
fn inspector_lines_show_the_standing_the_api_gave() {
    // Name, persona, position, status, activity and tier from the stream; balance,
    // entitlements, the next downgrade and the brain with its model from `GET /agents/{id}`.
    let mut agent = view(4, 11, 3);
    agent.tier = "worker".into();
    let detail = AgentDetail {
        agent: agent.clone(),
        account_id: None,
        economy: Standing {
            agent_id: 4,
            balance_micros: 4_000_000,
            balance: "4.00".into(),
            tier: "worker".into(),
            balance_tier: "seedling".into(),
            boost: None,
            entitlements: Entitlements {
                requests_per_minute: 30,
                request_burst: 10,
                concurrent_tool_runs: 2,
                llm_models: vec!["village-small".into(), "village-medium".into()],
                llm_tokens_per_hour: 100_000,
                cpu_millicores: 1000,
                memory_mib: 1024,
                pids_max: 128,
                disk_mib: 4096,
                gpu: GpuShare::Shared,
                egress: true,
            },
            burn_micros_per_hour: 1_000_000,
            next_downgrade: Some(DowngradeView {
                tier: "seedling".into(),
                in_ms: 7_260_000,
            }),
            downgrade_warning: false,
        },
        brain: AgentBrain::Llm,
        last_llm_call: Some(LlmCallView {
            model: "village-medium".into(),
            at_ms: 1,
        }),
    };
    let lines = client::ui::inspector::inspector_lines(&agent, Some(&detail));
    let get = |k: &str| {
        lines
            .iter()
            .find(|(l, _)| l == k)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    assert_eq!(get("name"), "Agent 4");
    assert_eq!(get("position"), "(11, 3)");
    assert_eq!(get("status"), "idle");
    assert_eq!(get("tier"), "worker");
    assert_eq!(get("balance"), "4.00 aiDollar");
    assert!(get("entitlements").contains("30 req/min"));
    assert!(get("entitlements").contains("1024 MiB memory, 4096 MiB disk"));
    assert!(get("entitlements").contains("village-small, village-medium"));
    assert_eq!(get("next downgrade"), "to seedling in 2 h 1 min");
    assert_eq!(get("brain"), "llm, thinks with village-medium");
    let pending = client::ui::inspector::inspector_lines(&agent, None);
    assert!(pending.iter().any(|(l, v)| l == "balance" && v == "…"));
}
