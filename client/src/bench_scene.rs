//! `--bench-agents N` (desktop): the P7 scene. A generator thread stands in for the server
//! (no network): a snapshot of N agents, then every tick a delta that moves every agent one
//! tile, encoded with the real codec so decoding is part of the cost. After warm-up the viewer
//! times `--bench-frames` frames and prints one JSON line (median and p99 frame time), then
//! exits. Run with N = 0 for the same scene without agents: the baseline of the ratio.

use std::sync::Arc;
use std::time::Duration;

use bevy::prelude::*;
use shared::codec::{self, Format};
use shared::protocol::Moved;
use shared::{
    Activity, AgentId, AgentStatus, AgentView, Delta, Facing, MapInfo, PROTOCOL_VERSION, ServerMsg,
    Snapshot, Tick, TilePos,
};

use crate::net::socket::{Connector, SocketEvent, socket_pair};
use crate::net::{LinkState, LinkStatus};

/// Frames skipped before timing (shader compilation, first uploads): a quarter of the timed
/// frames, at most this many.
const WARMUP_FRAMES_MAX: usize = 120;
/// The generator's tick, as the server's default.
const BENCH_TICK: Duration = Duration::from_millis(100);

/// What to run.
#[derive(Resource, Debug, Clone, Copy)]
pub struct BenchScene {
    pub agents: u32,
    pub frames: usize,
}

/// A connector whose "server" is a thread generating `agents` walkers on the village map.
pub fn connector(agents: u32) -> Connector {
    Arc::new(move |_url: &str| {
        let (handle, events, _outgoing) = socket_pair();
        std::thread::spawn(move || generate(agents, &events));
        handle
    })
}

fn generate(agents: u32, events: &crossbeam_channel::Sender<SocketEvent>) {
    let map = MapInfo {
        file: crate::render::map_data::MAP_FILE.into(),
        width: 48,
        height: 32,
        tile_width_px: 16,
        tile_height_px: 16,
    };
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        // xorshift: deterministic, no dependency.
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut views: Vec<AgentView> = (0..agents)
        .map(|i| AgentView {
            id: AgentId(u64::from(i) + 1),
            display_name: format!("Bench {i}"),
            persona: String::new(),
            home: None,
            pos: TilePos::new((next() % 48) as u16, (next() % 32) as u16),
            facing: Facing::South,
            status: AgentStatus::Online,
            activity: Activity::idle(),
            last_seen_ms: 0,
            tier: "seedling".into(),
        })
        .collect();
    let send = |msg: &ServerMsg| {
        codec::encode_server(msg, Format::Postcard)
            .ok()
            .is_some_and(|frame| events.send(SocketEvent::Frame(frame)).is_ok())
    };
    let _ = events.send(SocketEvent::Opened);
    let hello = ServerMsg::Hello {
        protocol_version: PROTOCOL_VERSION,
        server_version: "bench".into(),
    };
    let mut tick = Tick(1);
    let snapshot = ServerMsg::Snapshot(Snapshot {
        tick,
        map,
        landmarks: vec![],
        agents: views.clone(),
    });
    if !send(&hello) || !send(&snapshot) {
        return;
    }
    loop {
        std::thread::sleep(BENCH_TICK);
        tick = tick.next();
        let mut delta = Delta::empty(tick);
        for view in &mut views {
            let (dx, dy, facing) = match next() % 4 {
                0 => (1, 0, Facing::East),
                1 => (-1, 0, Facing::West),
                2 => (0, 1, Facing::South),
                _ => (0, -1, Facing::North),
            };
            let x = (i32::from(view.pos.x) + dx).clamp(0, 47) as u16;
            let y = (i32::from(view.pos.y) + dy).clamp(0, 31) as u16;
            view.pos = TilePos::new(x, y);
            delta.moved.push(Moved {
                id: view.id,
                pos: view.pos,
                facing,
            });
        }
        if !send(&ServerMsg::Delta(delta)) {
            return;
        }
    }
}

pub fn plugin(app: &mut App) {
    app.add_systems(Last, time_frames);
}

fn time_frames(
    time: Res<Time<Real>>,
    scene: Res<BenchScene>,
    link: Res<LinkStatus>,
    mut seen: Local<usize>,
    mut frame_ms: Local<Vec<f64>>,
    mut exit: MessageWriter<AppExit>,
) {
    if link.state != LinkState::Live {
        return;
    }
    *seen += 1;
    if *seen <= (scene.frames / 4).min(WARMUP_FRAMES_MAX) {
        return;
    }
    frame_ms.push(time.delta_secs_f64() * 1000.0);
    if frame_ms.len() < scene.frames {
        return;
    }
    let mut sorted = frame_ms.clone();
    sorted.sort_by(f64::total_cmp);
    let pick = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
    let mean = sorted.iter().sum::<f64>() / sorted.len() as f64;
    println!(
        "{}",
        serde_json::json!({
            "agents": scene.agents,
            "frames": sorted.len(),
            "median_ms": pick(0.5),
            "p99_ms": pick(0.99),
            "mean_fps": 1000.0 / mean,
        })
    );
    exit.write(AppExit::Success);
}
