//! P7, the viewer's side of one tick: a delta that moves every one of 10,000 agents arrives as
//! bytes and is decoded, checked, applied to the model and fitted to the entities (glides
//! started, transforms drawn) in one `App::update` of the headless viewer. Goal: ≤ 2 ms.
//!
//! Baseline, measured in the same run on the same bytes: decoding the frame and applying it to
//! a bare `WorldMirror` (the protocol's own floor, no ECS). The ratio says what the viewer's
//! entity work costs on top of that. `VILLAGE_BENCH_QUICK=1` runs a few rounds as a smoke test.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use bevy::prelude::*;
use bevy::time::TimeUpdateStrategy;
use client::net::StreamTarget;
use client::net::socket::{Connector, SocketEvent, socket_pair};
use shared::codec::{self, Format, Frame};
use shared::protocol::Moved;
use shared::{AgentId, Delta, Facing, PROTOCOL_VERSION, ServerMsg, Tick, TilePos, WorldMirror};

const AGENTS: u64 = 10_000;
const GOAL_MS: f64 = 2.0;

fn main() {
    let quick = std::env::var_os("VILLAGE_BENCH_QUICK").is_some();
    let rounds = if quick { 5 } else { 200 };
    let (tx, peers) = crossbeam_channel::unbounded();
    let connector: Connector = Arc::new(move |_url: &str| {
        let (handle, events, _out) = socket_pair();
        tx.send(events).unwrap();
        handle
    });
    let mut app = App::new();
    app.add_plugins(MinimalPlugins)
        .insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_millis(
            16,
        )))
        .insert_resource(StreamTarget {
            url: "bench".into(),
            connector,
        })
        .add_plugins(client::logic_plugin);
    app.update();
    let events = peers.try_recv().expect("the viewer connected");
    let agents: Vec<_> = (1..=AGENTS)
        .map(|id| shared::fixtures::agent_view(id, (id % 48) as u16, ((id / 48) % 32) as u16))
        .collect();
    let snapshot = shared::fixtures::snapshot(1, agents);
    let mut mirror = WorldMirror::from_snapshot(snapshot.clone());
    events.send(SocketEvent::Opened).unwrap();
    for msg in [
        ServerMsg::Hello {
            protocol_version: PROTOCOL_VERSION,
            server_version: "bench".into(),
        },
        ServerMsg::Snapshot(snapshot),
    ] {
        events.send(SocketEvent::Frame(encode(&msg))).unwrap();
    }
    app.update();
    app.update();

    let (mut viewer, mut floor) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let tick = Tick(2 + round);
        let frame = encode(&ServerMsg::Delta(step_all(tick, round)));
        // The floor: decode and apply to a bare mirror.
        let start = Instant::now();
        let ServerMsg::Delta(delta) =
            codec::decode_server(&frame, Format::Postcard, 64 << 20).unwrap()
        else {
            unreachable!("a delta was encoded")
        };
        mirror.apply(&delta).unwrap();
        floor.push(start.elapsed());
        // The viewer: the same bytes through the socket, one frame.
        events.send(SocketEvent::Frame(frame)).unwrap();
        let start = Instant::now();
        app.update();
        viewer.push(start.elapsed());
    }
    let world = app.world_mut();
    let model = world.resource::<client::world::model::WorldModel>();
    assert_eq!(
        model.tick(),
        Some(Tick(1 + rounds)),
        "every delta was applied"
    );
    assert_eq!(model.agent_count() as u64, AGENTS);

    let (v50, v99) = (percentile(&mut viewer, 0.5), percentile(&mut viewer, 0.99));
    let (f50, f99) = (percentile(&mut floor, 0.5), percentile(&mut floor, 0.99));
    println!(
        "P7 delta apply, {AGENTS} agents moving, {rounds} ticks{}",
        if quick { " (quick)" } else { "" }
    );
    println!("  baseline (decode + bare mirror): median {f50:.3} ms, p99 {f99:.3} ms");
    println!("  viewer (decode + model + entities): median {v50:.3} ms, p99 {v99:.3} ms");
    println!("  ratio viewer / baseline (median): {:.2}", v50 / f50);
    println!(
        "  goal median <= {GOAL_MS} ms: {}",
        if v50 <= GOAL_MS { "pass" } else { "FAIL" }
    );
}

fn encode(msg: &ServerMsg) -> Frame {
    codec::encode_server(msg, Format::Postcard).unwrap()
}

/// Every agent steps one tile east or west (alternating by round), staying on the map.
fn step_all(tick: Tick, round: u64) -> Delta {
    let mut delta = Delta::empty(tick);
    for id in 1..=AGENTS {
        let x = (id % 48) as u16;
        let x = if round.is_multiple_of(2) {
            x.min(46) + 1
        } else {
            x.min(46)
        };
        delta.moved.push(Moved {
            id: AgentId(id),
            pos: TilePos::new(x, ((id / 48) % 32) as u16),
            facing: Facing::East,
        });
    }
    delta
}

fn percentile(samples: &mut [Duration], q: f64) -> f64 {
    samples.sort();
    let i = ((samples.len() - 1) as f64 * q).round() as usize;
    samples[i].as_secs_f64() * 1000.0
}
