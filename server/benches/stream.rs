//! P1 and P2: the live world stream under load, against a baseline measured in the same run.
//!
//! P1: 1,000 walking agents at 10 Hz streamed to 500 WebSocket clients on loopback. Reports
//! deltas per second delivered and the p99 tick-to-frame latency, for the village's
//! `/ws/world` and for a bare tokio-tungstenite server broadcasting the very same bytes.
//! Goal: village ≥ 0.7 × baseline frames/s, p99 ≤ 50 ms.
//! P2: bytes per second to one viewer: the postcard deltas it received vs a JSON full snapshot
//! per tick. Goal ≤ 1/20.
//!
//! Run: `cargo bench -p village-server --bench stream` (needs ~2,100 open files).
//! `VILLAGE_BENCH_QUICK=1` shrinks it to a smoke run (CI runs that in the test profile).

#![allow(clippy::unwrap_used)]

#[path = "support/report.rs"]
mod report;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use report::{ms, percentile, verdict};
use shared::api::MoveRequest;
use shared::codec::{self, Format, Frame};
use shared::{ActivityKind, ServerMsg};
use tokio::net::TcpListener;
use tokio::sync::broadcast;
use tokio_tungstenite::tungstenite::Message;
use village_server::config::Settings;
use village_server::startup::Application;
use village_server::world::WorldHandle;

struct Plan {
    agents: usize,
    clients: usize,
    warm_up: Duration,
    measure: Duration,
    map_side: u16,
}

impl Plan {
    fn from_env() -> Plan {
        if std::env::var_os("VILLAGE_BENCH_QUICK").is_some() {
            Plan {
                agents: 100,
                clients: 20,
                warm_up: Duration::from_millis(500),
                measure: Duration::from_secs(2),
                map_side: 48,
            }
        } else {
            Plan {
                agents: 1_000,
                clients: 500,
                warm_up: Duration::from_secs(2),
                measure: Duration::from_secs(10),
                map_side: 128,
            }
        }
    }
}

/// When each tick's frame left the world (seen by a subscriber), by tick number.
type Produced = Arc<Mutex<HashMap<u64, Instant>>>;

/// What the clients of one phase saw.
#[derive(Default)]
struct Seen {
    deltas: u64,
    /// `Resync` messages: deltas a client missed because it fell behind.
    resyncs: u64,
    latencies_us: Vec<u64>,
    first_client_bytes: u64,
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let plan = Plan::from_env();
    let dir = tempfile::tempdir().unwrap();
    write_open_map(dir.path(), plan.map_side);
    let mut settings = Settings::default();
    settings.server.bind = "127.0.0.1:0".parse().unwrap();
    settings.server.data_dir = dir.path().join("data");
    settings.server.assets_dir = dir.path().join("assets");
    settings.world.map_file = "maps/bench.tmx".into();
    settings.stream.client_queue_frames = 64;
    // Every viewer connects from 127.0.0.1 without a token.
    settings.auth.anonymous_requests_per_minute_per_ip = 1_000_000;
    settings.auth.anonymous_request_burst_per_ip = 100_000;
    let app = Application::build(settings).await.unwrap();
    let addr = app.local_addr();
    let world = app.world();
    let shutdown = app.shutdown_token();
    let server = tokio::spawn(app.run_until_stopped(std::future::pending()));

    spawn_agents(&world, plan.agents).await;
    let driver = tokio::spawn(keep_walking(world.clone(), plan.map_side));
    let (produced_world, produced_relay): (Produced, Produced) = (Arc::default(), Arc::default());
    let (relay_tx, _) = broadcast::channel::<Arc<Vec<u8>>>(64);
    tokio::spawn(clock_and_relay(
        world.clone(),
        produced_world.clone(),
        produced_relay.clone(),
        relay_tx.clone(),
    ));
    tokio::time::sleep(plan.warm_up).await;

    println!(
        "P1/P2: {} walking agents, {} clients, {:?} measured per phase",
        plan.agents, plan.clients, plan.measure
    );
    let village = run_phase(addr, "/ws/world", &plan, &produced_world).await;
    let walking_share = walking_share(&world).await;
    let snapshot_json = world
        .call(|w, _| {
            codec::encode_server(&ServerMsg::Snapshot(w.snapshot()), Format::Json)
                .unwrap()
                .len()
        })
        .await
        .unwrap();

    let baseline_addr = spawn_raw_broadcaster(relay_tx.clone()).await;
    let baseline = run_phase(baseline_addr, "/", &plan, &produced_relay).await;

    let secs = plan.measure.as_secs_f64();
    let ticks_per_sec = 10.0;
    let (v_fps, b_fps) = (village.deltas as f64 / secs, baseline.deltas as f64 / secs);
    let (v_p50, v_p99) = (
        percentile(&village.latencies_us, 50.0),
        percentile(&village.latencies_us, 99.0),
    );
    let (b_p50, b_p99) = (
        percentile(&baseline.latencies_us, 50.0),
        percentile(&baseline.latencies_us, 99.0),
    );
    let ratio = v_fps / b_fps;
    println!(
        "agents walking during the village phase: {:.0}%",
        walking_share * 100.0
    );
    println!(
        "resyncs sent to clients that fell behind: village {}, baseline {}",
        village.resyncs, baseline.resyncs
    );
    println!(
        "P1 village  /ws/world : {v_fps:9.1} deltas/s  latency p50 {:6.2} ms  p99 {:6.2} ms",
        ms(v_p50),
        ms(v_p99)
    );
    println!(
        "P1 baseline raw ws    : {b_fps:9.1} deltas/s  latency p50 {:6.2} ms  p99 {:6.2} ms",
        ms(b_p50),
        ms(b_p99)
    );
    println!(
        "P1 ratio village/baseline frames/s = {ratio:.3} (goal >= 0.7: {}), village p99 {:.2} ms (goal <= 50: {})",
        verdict(ratio >= 0.7),
        ms(v_p99),
        verdict(ms(v_p99) <= 50.0)
    );
    let delta_bps = village.first_client_bytes as f64 / secs;
    let snapshot_bps = snapshot_json as f64 * ticks_per_sec;
    let p2 = delta_bps / snapshot_bps;
    println!(
        "P2 one viewer: postcard deltas {delta_bps:.0} B/s vs JSON snapshot per tick {snapshot_bps:.0} B/s \
         = 1/{:.1} (goal <= 1/20: {})",
        1.0 / p2,
        verdict(p2 <= 0.05)
    );
    driver.abort();
    shutdown.cancel();
    server.await.unwrap().unwrap();
}

/// A map of open grass with one landmark in the middle, written as Tiled files that use the
/// project's tileset.
fn write_open_map(dir: &Path, side: u16) {
    let maps = dir.join("assets/maps");
    std::fs::create_dir_all(&maps).unwrap();
    let tileset = Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/tilesets/village.tsx");
    let row = vec!["1"; usize::from(side)].join(",");
    let csv = vec![row; usize::from(side)].join(",\n");
    let mid = u32::from(side / 2 - 4) * 16;
    let tmx = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<map version="1.10" tiledversion="1.10.2" orientation="orthogonal" renderorder="right-down" width="{side}" height="{side}" tilewidth="16" tileheight="16" infinite="0" nextlayerid="3" nextobjectid="2">
 <tileset firstgid="1" source="{}"/>
 <layer id="1" name="ground" width="{side}" height="{side}"><data encoding="csv">
{csv}
</data></layer>
 <objectgroup id="2" name="landmarks">
  <object id="1" name="plaza" type="landmark" x="{mid}" y="{mid}" width="128" height="128">
   <properties><property name="kind" value="plaza"/><property name="label" value="Plaza"/></properties>
  </object>
 </objectgroup>
</map>
"#,
        tileset.display()
    );
    std::fs::write(maps.join("bench.tmx"), tmx).unwrap();
}

async fn spawn_agents(world: &WorldHandle, count: usize) {
    world
        .call(move |w, now| {
            for i in 0..count {
                let view = shared::AgentView {
                    id: shared::AgentId(i as u64 + 1),
                    display_name: format!("Bench {i}"),
                    persona: String::new(),
                    home: None,
                    pos: shared::TilePos::new(0, 0),
                    facing: shared::Facing::South,
                    status: shared::AgentStatus::Online,
                    activity: shared::Activity::idle(),
                    last_seen_ms: now,
                    tier: "seedling".into(),
                };
                let record = village_server::world::AgentRecord {
                    view,
                    has_position: false,
                };
                w.spawn(record).unwrap();
            }
        })
        .await
        .unwrap();
}

/// Every 100 ms, sends each agent that stands still to a random tile (fixed-seed ChaCha8).
async fn keep_walking(world: WorldHandle, side: u16) {
    let mut rng = Some(ChaCha8Rng::seed_from_u64(0x9e37_79b9_7f4a_7c15));
    let mut ticker = tokio::time::interval(Duration::from_millis(100));
    loop {
        ticker.tick().await;
        let Some(mut r) = rng.take() else { return };
        let Ok(back) = world
            .call(move |w, now| {
                let idle: Vec<_> = w
                    .agents()
                    .filter(|a| a.activity.kind != ActivityKind::Walking)
                    .map(|a| a.id)
                    .collect();
                for id in idle {
                    let x = i64::from(r.random_range(0..side));
                    let y = i64::from(r.random_range(0..side));
                    let _ = w.request_move(id, MoveRequest::Tile { x, y }, now);
                }
                r
            })
            .await
        else {
            return;
        };
        rng = Some(back);
    }
}

async fn walking_share(world: &WorldHandle) -> f64 {
    world
        .call(|w, _| {
            let walking = w
                .agents()
                .filter(|a| a.activity.kind == ActivityKind::Walking)
                .count();
            walking as f64 / w.agent_count().max(1) as f64
        })
        .await
        .unwrap()
}

/// Notes when the world encoded each tick's frame (the village's production time) and when it
/// relays the same postcard bytes to the baseline server (the baseline's production time).
async fn clock_and_relay(
    world: WorldHandle,
    produced_world: Produced,
    produced_relay: Produced,
    relay: broadcast::Sender<Arc<Vec<u8>>>,
) {
    let mut subscription = world.subscribe(false);
    loop {
        match subscription.receiver.recv().await {
            Ok(frame) => {
                produced_world
                    .lock()
                    .unwrap()
                    .insert(frame.tick.0, frame.encoded_at);
                let bytes = Arc::new(frame.postcard.to_vec());
                produced_relay
                    .lock()
                    .unwrap()
                    .insert(frame.tick.0, Instant::now());
                let _ = relay.send(bytes);
            }
            Err(broadcast::error::RecvError::Lagged(_)) => {}
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

/// The baseline: a bare tokio-tungstenite server that sends every relayed frame to every client.
async fn spawn_raw_broadcaster(relay: broadcast::Sender<Arc<Vec<u8>>>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let mut frames = relay.subscribe();
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else {
                    return;
                };
                while let Ok(bytes) = frames.recv().await {
                    if ws
                        .send(Message::Binary(bytes.to_vec().into()))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    addr
}

/// Connects `plan.clients` clients, lets them read for `plan.measure`, disconnects them, and
/// counts the deltas produced inside the window that each received before it closed. Receipts
/// are matched with production times afterwards, so a slow bookkeeping task cannot lose any.
async fn run_phase(addr: SocketAddr, path: &str, plan: &Plan, produced: &Produced) -> Seen {
    let mut sockets = Vec::with_capacity(plan.clients);
    for _ in 0..plan.clients {
        let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}{path}"))
            .await
            .unwrap();
        sockets.push(ws);
    }
    // Let every client get past its handshake and snapshot before measuring.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let start = Instant::now();
    let end = start + plan.measure;
    let mut readers = Vec::new();
    for mut ws in sockets {
        readers.push(tokio::spawn(async move {
            // (tick, received at, bytes) of every delta; (resyncs) counted apart.
            let (mut receipts, mut resyncs) = (Vec::new(), 0u64);
            let deadline = tokio::time::Instant::from_std(end);
            while let Ok(Some(Ok(message))) = tokio::time::timeout_at(deadline, ws.next()).await {
                let received = Instant::now();
                let Message::Binary(data) = message else {
                    continue;
                };
                let frame = Frame::Binary(data.to_vec());
                match codec::decode_server(&frame, Format::Postcard, 1 << 24) {
                    Ok(ServerMsg::Delta(delta)) => {
                        receipts.push((delta.tick.0, received, data.len()))
                    }
                    Ok(ServerMsg::Resync { .. }) => resyncs += 1,
                    _ => {}
                }
            }
            (receipts, resyncs)
        }));
    }
    let mut results = Vec::with_capacity(readers.len());
    for reader in readers {
        results.push(reader.await.unwrap());
    }
    // Every delta of the window has been produced by now.
    let produced = produced.lock().unwrap().clone();
    let mut seen = Seen::default();
    let mut per_client = Vec::new();
    for (i, (receipts, resyncs)) in results.into_iter().enumerate() {
        seen.resyncs += resyncs;
        let mut counted = 0;
        for (tick, received, bytes) in receipts {
            let Some(made) = produced.get(&tick).filter(|m| **m >= start && **m < end) else {
                continue;
            };
            counted += 1;
            seen.latencies_us
                .push(received.saturating_duration_since(*made).as_micros() as u64);
            if i == 0 {
                seen.first_client_bytes += bytes as u64;
            }
        }
        seen.deltas += counted;
        per_client.push(counted);
    }
    per_client.sort_unstable();
    let ticks = produced
        .values()
        .filter(|t| **t >= start && **t < end)
        .count();
    println!(
        "  {path}: {ticks} ticks produced in the window; deltas per client min {} median {} max {}",
        per_client.first().unwrap_or(&0),
        per_client.get(per_client.len() / 2).unwrap_or(&0),
        per_client.last().unwrap_or(&0)
    );
    seen
}
