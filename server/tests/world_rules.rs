//! The tile world's rules, checked by driving `World` directly: no server, no clock, no store.
//!
//! Each test builds a small map (or loads the real village map), spawns agents, issues moves and
//! actions, advances ticks by hand and checks the returned deltas and the world's state. These
//! tests must not reach into the world's private state or change the world's code; what they
//! cannot observe through the public API they do not assert.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use shared::api::{Action, MoveRequest};
use shared::protocol::{Moved, Speech};
use shared::{
    Activity, ActivityKind, AgentId, AgentStatus, AgentView, Delta, Facing, Landmark, MapInfo,
    Tick, TilePos, TileRect,
};
use village_server::world::{AgentRecord, TileMap, World, WorldError, WorldLimits};

/// The wall-clock time of tick 0 in every test, in milliseconds since the Unix epoch.
const T0: i64 = 1_700_000_000_000;
/// The tick interval the default limits assume.
const TICK_MS: i64 = 100;

/// The time at which tick `tick` ends.
fn at(tick: u64) -> i64 {
    T0 + i64::try_from(tick).expect("small tick") * TICK_MS
}

/// A map from rows of text: `#` is a wall, anything else is walkable.
fn ascii_map(rows: &[&str], landmarks: Vec<Landmark>) -> TileMap {
    let height = rows.len();
    let width = rows[0].len();
    assert!(rows.iter().all(|r| r.len() == width), "ragged map rows");
    let walkable = rows
        .iter()
        .flat_map(|r| r.chars().map(|c| c != '#'))
        .collect();
    let info = MapInfo {
        file: "test".into(),
        width: u16::try_from(width).expect("narrow map"),
        height: u16::try_from(height).expect("short map"),
        tile_width_px: 16,
        tile_height_px: 16,
    };
    TileMap::from_parts(info, walkable, landmarks).expect("valid test map")
}

/// An open map with no walls.
fn open_map(width: usize, height: usize, landmarks: Vec<Landmark>) -> TileMap {
    let row = ".".repeat(width);
    let rows: Vec<&str> = (0..height).map(|_| row.as_str()).collect();
    ascii_map(&rows, landmarks)
}

fn landmark(key: &str, kind: &str, x: u16, y: u16, w: u16, h: u16) -> Landmark {
    Landmark {
        key: key.into(),
        label: format!("The {key}"),
        kind: kind.into(),
        area: TileRect { x, y, w, h },
    }
}

fn world_with(map: TileMap, limits: WorldLimits) -> World {
    World::new(Arc::new(map), limits)
}

fn world(map: TileMap) -> World {
    world_with(map, WorldLimits::default())
}

fn view(id: u64, x: u16, y: u16) -> AgentView {
    AgentView {
        id: AgentId(id),
        display_name: format!("agent-{id}"),
        persona: "a tester".into(),
        home: None,
        pos: TilePos::new(x, y),
        facing: Facing::South,
        status: AgentStatus::Online,
        activity: Activity::idle(),
        last_seen_ms: T0,
        tier: "seedling".into(),
    }
}

/// Spawns an online agent at a saved position and returns its id.
fn spawn_at(world: &mut World, id: u64, x: u16, y: u16) -> AgentId {
    let placed = world
        .spawn(AgentRecord {
            view: view(id, x, y),
            has_position: true,
        })
        .expect("spawn");
    assert_eq!(
        placed.pos,
        TilePos::new(x, y),
        "test agents start where put"
    );
    placed.id
}

fn pos(world: &World, id: AgentId) -> TilePos {
    world.agent(id).expect("agent exists").pos
}

fn activity(world: &World, id: AgentId) -> ActivityKind {
    world.agent(id).expect("agent exists").activity.kind
}

fn moves_of(delta: &Delta, id: AgentId) -> Vec<TilePos> {
    delta
        .moved
        .iter()
        .filter(|m| m.id == id)
        .map(|m| m.pos)
        .collect()
}

/// Mirrors every agent's position from the deltas alone, as a viewer would, and checks each
/// step against the movement rules.
struct Mirror {
    pos: HashMap<AgentId, TilePos>,
}

impl Mirror {
    fn of(world: &World) -> Self {
        Self {
            pos: world.agents().map(|a| (a.id, a.pos)).collect(),
        }
    }

    /// Applies one delta; panics when a step is longer than one tile, lands on a blocked tile,
    /// is the agent's second in the tick, puts two agents on one tile, or when the mirror and
    /// the world disagree. Returns the number of moves.
    fn apply(&mut self, world: &World, delta: &Delta) -> usize {
        for spawned in &delta.spawned {
            self.pos.insert(spawned.id, spawned.pos);
        }
        let mut stepped = HashSet::new();
        for m in &delta.moved {
            assert!(
                stepped.insert(m.id),
                "agent {} moved twice in tick {}",
                m.id,
                delta.tick
            );
            let prev = self.pos.get_mut(&m.id).expect("moved agent is known");
            assert_eq!(
                prev.manhattan(m.pos),
                1,
                "agent {} jumped from {prev} to {} in tick {}",
                m.id,
                m.pos,
                delta.tick
            );
            assert!(
                world.map().is_walkable(m.pos),
                "agent {} stepped onto blocked {} in tick {}",
                m.id,
                m.pos,
                delta.tick
            );
            *prev = m.pos;
        }
        for gone in &delta.despawned {
            self.pos.remove(gone);
        }
        let tiles: HashSet<TilePos> = self.pos.values().copied().collect();
        assert_eq!(
            tiles.len(),
            self.pos.len(),
            "two agents share a tile after tick {}",
            delta.tick
        );
        assert_eq!(self.pos.len(), world.agent_count());
        for agent in world.agents() {
            assert_eq!(
                self.pos.get(&agent.id),
                Some(&agent.pos),
                "deltas and world disagree on agent {}",
                agent.id
            );
        }
        delta.moved.len()
    }
}

fn village_map() -> TileMap {
    let assets = Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets");
    TileMap::load(assets.as_path(), "maps/village.tmx").expect("the village map loads")
}

#[test]
fn a_one_tile_move_happens_at_the_next_tick_and_only_then() {
    // A {dx, dy} step is applied by the next advance, not before, and is one tile.
    let mut world = world(open_map(7, 5, vec![]));
    let id = spawn_at(&mut world, 1, 2, 2);
    world.advance(at(1));
    let plan = world
        .request_move(id, MoveRequest::Offset { dx: 1, dy: 0 }, at(1))
        .expect("move");
    assert_eq!(
        (plan.from, plan.to, plan.steps),
        (TilePos::new(2, 2), TilePos::new(3, 2), 1)
    );
    assert_eq!(
        pos(&world, id),
        TilePos::new(2, 2),
        "no move before the tick"
    );
    let delta = world.advance(at(2));
    assert_eq!(delta.tick, Tick(2));
    assert_eq!(
        delta.moved,
        vec![Moved {
            id,
            pos: TilePos::new(3, 2),
            facing: Facing::East
        }]
    );
    assert_eq!(pos(&world, id), TilePos::new(3, 2));
    assert_eq!(
        activity(&world, id),
        ActivityKind::Idle,
        "arrived agents stand idle"
    );
    let later = world.advance(at(3));
    assert!(later.moved.is_empty(), "a one-tile move is one step only");
    // A step north turns the agent north.
    world
        .request_move(id, MoveRequest::Offset { dx: 0, dy: -1 }, at(3))
        .expect("move");
    let delta = world.advance(at(4));
    assert_eq!(delta.moved[0].facing, Facing::North);
    assert_eq!(delta.moved[0].pos, TilePos::new(3, 1));
}

#[test]
fn a_walk_takes_one_tile_per_tick_around_walls_until_it_arrives() {
    // A long walk yields exactly one adjacent walkable step per tick, by the shortest way round
    // a wall, and stops on arrival.
    let map = ascii_map(
        &[
            "....#....", //
            "....#....",
            "....#....",
            "....#....",
            ".........",
        ],
        vec![],
    );
    let mut world = world(map);
    let id = spawn_at(&mut world, 1, 0, 0);
    world.advance(at(1));
    let mut mirror = Mirror::of(&world);
    let plan = world
        .request_move(id, MoveRequest::Tile { x: 8, y: 0 }, at(1))
        .expect("move");
    assert_eq!(plan.steps, 16, "down to the gap, across, and back up");
    let first = world.advance(at(2));
    assert!(
        first
            .status
            .iter()
            .any(|s| s.id == id && s.activity.kind == ActivityKind::Walking),
        "the walk is announced"
    );
    assert_eq!(mirror.apply(&world, &first), 1);
    for tick in 3..=17 {
        let delta = world.advance(at(tick));
        assert_eq!(moves_of(&delta, id).len(), 1, "one step in tick {tick}");
        mirror.apply(&world, &delta);
    }
    assert_eq!(pos(&world, id), TilePos::new(8, 0));
    assert_eq!(activity(&world, id), ActivityKind::Idle);
    for tick in 18..=20 {
        assert!(
            world.advance(at(tick)).moved.is_empty(),
            "no steps after arrival"
        );
    }
}

/// A 10x6 map with a sealed room at (5..=6, 3) and landmarks `cafe`, `board` and (sealed in)
/// `vault`.
fn map_with_sealed_room() -> TileMap {
    ascii_map(
        &[
            "..........", //
            "..........",
            "....####..",
            "....#..#..",
            "....####..",
            "..........",
        ],
        vec![
            landmark("cafe", "cafe", 0, 0, 2, 1),
            landmark("board", "board", 8, 5, 1, 1),
            landmark("vault", "vault", 5, 3, 2, 1),
        ],
    )
}

#[test]
fn refused_moves_say_why_and_change_nothing() {
    // Moves off the map, into a wall, to an unknown landmark, to a sealed tile or for an unknown
    // agent are refused with the precise error and leave the world exactly as it was.
    let mut world = world(map_with_sealed_room());
    let id = spawn_at(&mut world, 1, 1, 1);
    world.advance(at(1));
    world.take_dirty();
    let from = TilePos::new(1, 1);
    let cases = [
        (
            MoveRequest::Offset { dx: -5, dy: 0 },
            WorldError::OutOfBounds {
                x: -4,
                y: 1,
                width: 10,
                height: 6,
            },
        ),
        // Offsets at the ends of i64 saturate instead of overflowing (a panic in the world
        // task in a build with overflow checks, as this test's).
        (
            MoveRequest::Offset {
                dx: i64::MAX,
                dy: i64::MIN,
            },
            WorldError::OutOfBounds {
                x: i64::MAX,
                y: i64::MIN + 1,
                width: 10,
                height: 6,
            },
        ),
        (
            MoveRequest::Tile { x: 10, y: 0 },
            WorldError::OutOfBounds {
                x: 10,
                y: 0,
                width: 10,
                height: 6,
            },
        ),
        (
            MoveRequest::Tile { x: 3, y: -1 },
            WorldError::OutOfBounds {
                x: 3,
                y: -1,
                width: 10,
                height: 6,
            },
        ),
        (
            MoveRequest::Tile { x: 4, y: 2 },
            WorldError::NotWalkable(TilePos::new(4, 2)),
        ),
        (
            MoveRequest::Landmark {
                landmark: "nowhere".into(),
            },
            WorldError::UnknownLandmark {
                key: "nowhere".into(),
                known: "board, cafe, vault".into(),
            },
        ),
        (
            MoveRequest::Tile { x: 5, y: 3 },
            WorldError::Unreachable {
                from,
                to: "(5, 3)".into(),
            },
        ),
        (
            MoveRequest::Landmark {
                landmark: "vault".into(),
            },
            WorldError::Unreachable {
                from,
                to: "vault".into(),
            },
        ),
    ];
    let before = world.snapshot();
    for (target, expected) in cases {
        let err = world
            .request_move(id, target.clone(), at(1))
            .expect_err("refused");
        assert_eq!(err, expected, "for {target:?}");
        assert_eq!(world.snapshot(), before, "{target:?} changed the world");
        assert!(
            world.take_dirty().is_empty(),
            "{target:?} touched the agent"
        );
    }
    let unknown = AgentId(999);
    assert_eq!(
        world.request_move(unknown, MoveRequest::Offset { dx: 1, dy: 0 }, at(1)),
        Err(WorldError::UnknownAgent(unknown))
    );
    assert_eq!(
        world.act(unknown, Action::Idle {}, at(1)),
        Err(WorldError::UnknownAgent(unknown))
    );
    assert_eq!(
        world.perceive(unknown, None, None),
        Err(WorldError::UnknownAgent(unknown))
    );
    assert_eq!(world.snapshot(), before);
    let message = WorldError::UnknownLandmark {
        key: "nowhere".into(),
        known: "board, cafe, vault".into(),
    }
    .to_string();
    assert!(message.contains("board, cafe, vault"), "{message}");
    let next = world.advance(at(2));
    assert!(
        next.is_empty(),
        "a refused move leaves nothing to send: {next:?}"
    );
    assert_eq!(pos(&world, id), from);
}

#[test]
fn a_refused_move_leaves_a_walk_in_progress_alone() {
    // A bad request to a walking agent neither stops nor bends the walk it is on.
    let mut world = world(map_with_sealed_room());
    let id = spawn_at(&mut world, 1, 0, 5);
    world
        .request_move(id, MoveRequest::Tile { x: 9, y: 5 }, at(0))
        .expect("move");
    world.advance(at(1));
    let err = world.request_move(id, MoveRequest::Tile { x: 4, y: 2 }, at(1));
    assert_eq!(err, Err(WorldError::NotWalkable(TilePos::new(4, 2))));
    for tick in 2..=9 {
        assert_eq!(moves_of(&world.advance(at(tick)), id).len(), 1);
    }
    assert_eq!(pos(&world, id), TilePos::new(9, 5));
}

#[test]
fn a_walk_to_a_landmark_ends_on_a_free_tile_inside_it() {
    // Walkers sent to a landmark each end on a different free tile of its area, never on the
    // tile an agent already holds.
    let plaza = TileRect {
        x: 8,
        y: 3,
        w: 2,
        h: 2,
    };
    let mut world = world(open_map(
        12,
        8,
        vec![landmark("plaza", "plaza", 8, 3, 2, 2)],
    ));
    let sitter = spawn_at(&mut world, 1, 8, 3);
    let walkers = [
        spawn_at(&mut world, 2, 0, 0),
        spawn_at(&mut world, 3, 0, 7),
        spawn_at(&mut world, 4, 3, 4),
    ];
    let mut mirror = Mirror::of(&world);
    for id in walkers {
        let plan = world
            .request_move(
                id,
                MoveRequest::Landmark {
                    landmark: "plaza".into(),
                },
                at(0),
            )
            .expect("move");
        assert_eq!(plan.landmark.as_deref(), Some("plaza"));
        assert!(
            plaza.contains(plan.to) && plan.to != TilePos::new(8, 3),
            "{plan:?}"
        );
    }
    for tick in 1..=60 {
        let delta = world.advance(at(tick));
        mirror.apply(&world, &delta);
    }
    let ends: HashSet<TilePos> = walkers.iter().map(|id| pos(&world, *id)).collect();
    assert_eq!(ends.len(), 3, "each walker has its own tile");
    assert!(ends.iter().all(|p| plaza.contains(*p)), "{ends:?}");
    assert_eq!(pos(&world, sitter), TilePos::new(8, 3));
    for id in walkers {
        let done = &world.agent(id).expect("agent").activity;
        assert_eq!(done.kind, ActivityKind::Idle);
        assert_eq!(done.landmark.as_deref(), Some("plaza"));
    }
}

#[test]
fn two_agents_sent_to_a_one_tile_landmark_never_share_it() {
    // Of two walkers heading for a one-tile landmark one gets it and the other gives up beside
    // it; once it is taken, a third is refused.
    let well = TilePos::new(5, 2);
    let mut world = world(open_map(11, 5, vec![landmark("well", "well", 5, 2, 1, 1)]));
    let a = spawn_at(&mut world, 1, 0, 2);
    let b = spawn_at(&mut world, 2, 10, 2);
    let mut mirror = Mirror::of(&world);
    for id in [a, b] {
        let plan = world
            .request_move(
                id,
                MoveRequest::Landmark {
                    landmark: "well".into(),
                },
                at(0),
            )
            .expect("move");
        assert_eq!(plan.to, well);
    }
    let give_up = u64::from(world.limits().give_up_after_blocked_ticks);
    for tick in 1..=(5 + give_up + 5) {
        let delta = world.advance(at(tick));
        mirror.apply(&world, &delta);
    }
    let on_well = [a, b].iter().filter(|id| pos(&world, **id) == well).count();
    assert_eq!(on_well, 1);
    for id in [a, b] {
        assert_eq!(
            activity(&world, id),
            ActivityKind::Idle,
            "both walks are over"
        );
    }
    let c = spawn_at(&mut world, 3, 5, 0);
    let refused = world.request_move(
        c,
        MoveRequest::Landmark {
            landmark: "well".into(),
        },
        at(50),
    );
    assert!(
        matches!(&refused, Err(WorldError::LandmarkFull { key }) if key == "well"),
        "a full landmark says so, not that it is unreachable: {refused:?}"
    );
}

#[test]
fn a_blocked_walker_replans_around_a_standing_agent() {
    // A walker whose corridor is blocked by a standing agent waits, re-plans and takes the
    // bypass, never stepping onto the blocker.
    let map = ascii_map(
        &[
            "##.....##", //
            ".........",
            "#########",
        ],
        vec![],
    );
    let mut world = world(map);
    let blocker = spawn_at(&mut world, 1, 4, 1);
    let walker = spawn_at(&mut world, 2, 0, 1);
    let mut mirror = Mirror::of(&world);
    let plan = world
        .request_move(walker, MoveRequest::Tile { x: 8, y: 1 }, at(0))
        .expect("move");
    assert_eq!(
        plan.steps, 8,
        "the first plan goes straight through, ignoring agents"
    );
    let mut used_bypass = false;
    let mut arrived_at = None;
    for tick in 1..=30 {
        let delta = world.advance(at(tick));
        mirror.apply(&world, &delta);
        assert!(moves_of(&delta, blocker).is_empty());
        let here = pos(&world, walker);
        assert_ne!(here, TilePos::new(4, 1));
        used_bypass |= here.y == 0;
        if here == TilePos::new(8, 1) && arrived_at.is_none() {
            arrived_at = Some(tick);
        }
    }
    assert!(used_bypass, "the walker went round by the top row");
    let replan = u64::from(world.limits().replan_after_blocked_ticks);
    // 3 steps to the blocker, `replan` ticks waiting, then 5 + 2 steps round and on.
    assert_eq!(arrived_at, Some(3 + replan + 7));
    assert_eq!(activity(&world, walker), ActivityKind::Idle);
}

#[test]
fn a_blocked_walker_with_no_way_round_gives_up() {
    // A walker blocked in a one-tile corridor stays Walking until it has been blocked for
    // `give_up_after_blocked_ticks`, then goes idle and forgets its path.
    let limits = WorldLimits {
        replan_after_blocked_ticks: 3,
        give_up_after_blocked_ticks: 10,
        ..WorldLimits::default()
    };
    let mut world = world_with(open_map(9, 1, vec![]), limits);
    let blocker = spawn_at(&mut world, 1, 4, 0);
    let walker = spawn_at(&mut world, 2, 0, 0);
    world
        .request_move(walker, MoveRequest::Tile { x: 8, y: 0 }, at(0))
        .expect("move");
    for tick in 1..=3 {
        assert_eq!(moves_of(&world.advance(at(tick)), walker).len(), 1);
    }
    assert_eq!(pos(&world, walker), TilePos::new(3, 0));
    // Blocked from tick 4 on; the 10th blocked tick is tick 13.
    for tick in 4..=12 {
        let delta = world.advance(at(tick));
        assert!(delta.moved.is_empty(), "tick {tick}");
        assert_eq!(
            activity(&world, walker),
            ActivityKind::Walking,
            "tick {tick}"
        );
    }
    let delta = world.advance(at(13));
    let change = delta
        .status
        .iter()
        .find(|s| s.id == walker)
        .expect("giving up is announced");
    assert_eq!(change.activity.kind, ActivityKind::Idle);
    assert_eq!(activity(&world, walker), ActivityKind::Idle);
    // The path is gone: with the way now clear, the walker stays put.
    world.despawn(blocker).expect("despawn");
    for tick in 14..=30 {
        assert!(world.advance(at(tick)).moved.is_empty(), "tick {tick}");
    }
    assert_eq!(pos(&world, walker), TilePos::new(3, 0));
}

#[test]
fn talk_is_heard_within_the_radius_and_not_beyond() {
    // A line reaches exactly the agents within `talk_radius_tiles` (Chebyshev), shows in the
    // delta's speech and in the hearers' perception, and `since_tick` filters it.
    let mut world = world(open_map(24, 24, vec![]));
    let radius = world.limits().talk_radius_tiles;
    assert_eq!(radius, 6);
    let speaker = spawn_at(&mut world, 1, 10, 10);
    let corner = spawn_at(&mut world, 2, 16, 4); // distance 6 on both axes
    let below = spawn_at(&mut world, 3, 4, 16); // distance 6
    let right = spawn_at(&mut world, 4, 17, 10); // distance 7
    let above = spawn_at(&mut world, 5, 10, 3); // distance 7
    world.advance(at(1));
    let outcome = world
        .act(
            speaker,
            Action::Talk {
                text: "  good morning  ".into(),
            },
            at(1),
        )
        .expect("talk");
    assert_eq!(outcome.heard_by, Some(2));
    let delta = world.advance(at(2));
    assert_eq!(
        delta.speech,
        vec![Speech {
            id: speaker,
            pos: TilePos::new(10, 10),
            text: "good morning".into(),
        }]
    );
    for hearer in [corner, below] {
        let heard = world.perceive(hearer, None, None).expect("perceive").heard;
        assert_eq!(heard.len(), 1, "agent {hearer}");
        assert_eq!(heard[0].text, "good morning");
        assert_eq!(heard[0].from, speaker);
        assert_eq!(heard[0].from_name, "agent-1");
        assert_eq!(heard[0].tick, delta.tick);
        let before = Some(Tick(delta.tick.0 - 1));
        assert_eq!(
            world.perceive(hearer, None, before).expect("p").heard.len(),
            1
        );
        let since = Some(delta.tick);
        assert!(
            world
                .perceive(hearer, None, since)
                .expect("p")
                .heard
                .is_empty()
        );
    }
    for deaf in [right, above, speaker] {
        let heard = world.perceive(deaf, None, None).expect("perceive").heard;
        assert!(heard.is_empty(), "agent {deaf} heard {heard:?}");
    }
}

#[test]
fn a_hearer_remembers_only_the_latest_lines() {
    // An agent keeps at most `heard_speech_max` heard lines, dropping the oldest first.
    let limits = WorldLimits {
        heard_speech_max: 2,
        ..WorldLimits::default()
    };
    let mut world = world_with(open_map(6, 3, vec![]), limits);
    let hearer = spawn_at(&mut world, 1, 0, 0);
    for (n, x) in [(2, 1), (3, 2), (4, 3)] {
        let speaker = spawn_at(&mut world, n, x, 1);
        let text = format!("line {n}");
        world
            .act(speaker, Action::Talk { text }, at(0))
            .expect("talk");
    }
    let heard: Vec<String> = world
        .perceive(hearer, None, None)
        .expect("perceive")
        .heard
        .into_iter()
        .map(|h| h.text)
        .collect();
    assert_eq!(heard, vec!["line 3", "line 4"]);
}

#[test]
fn talk_is_rate_limited_until_the_cooldown_has_passed() {
    // After a line an agent may not talk again for `talk_cooldown_ticks`; refusals say how
    // long to wait, send nothing and do not restart the cooldown.
    let limits = WorldLimits {
        talk_cooldown_ticks: 5,
        ..WorldLimits::default()
    };
    let mut world = world_with(open_map(5, 5, vec![]), limits);
    let id = spawn_at(&mut world, 1, 2, 2);
    let talk = |text: &str| Action::Talk { text: text.into() };
    world.act(id, talk("first"), at(0)).expect("talk");
    assert_eq!(
        world.act(id, talk("again"), at(0)),
        Err(WorldError::TalkTooSoon {
            retry_after_ms: 500
        })
    );
    assert_eq!(world.advance(at(1)).speech.len(), 1);
    for tick in 2..=4 {
        assert!(world.advance(at(tick)).speech.is_empty());
    }
    // The tick being built is 5; the agent may talk from tick 6.
    assert_eq!(
        world.act(id, talk("too soon"), at(4)),
        Err(WorldError::TalkTooSoon {
            retry_after_ms: 100
        })
    );
    assert!(world.advance(at(5)).speech.is_empty());
    world
        .act(id, talk("second"), at(5))
        .expect("talk after cooldown");
    let delta = world.advance(at(6));
    assert_eq!(delta.speech.len(), 1);
    assert_eq!(delta.speech[0].text, "second");
}

#[test]
fn empty_long_or_control_character_speech_is_refused() {
    // Speech must be non-empty after trimming, at most `speech_chars_max` characters and free of
    // control characters; a refusal sends nothing and does not use up the turn to talk.
    let mut world = world(open_map(5, 5, vec![]));
    let id = spawn_at(&mut world, 1, 2, 2);
    let max = world.limits().speech_chars_max;
    let bad = [
        String::new(),
        "   ".into(),
        "é".repeat(max + 1),
        "ring\u{7}".into(),
        "two\nlines".into(),
    ];
    for text in bad {
        let err = world.act(id, Action::Talk { text: text.clone() }, at(0));
        assert!(
            matches!(err, Err(WorldError::Invalid(_))),
            "{text:?}: {err:?}"
        );
    }
    assert!(world.advance(at(1)).speech.is_empty());
    let longest = "é".repeat(max);
    let outcome = world.act(id, Action::Talk { text: longest }, at(1));
    assert!(outcome.is_ok(), "exactly the limit is allowed: {outcome:?}");
    assert_eq!(world.advance(at(2)).speech.len(), 1);
}

/// A 9x3 map with a one-tile `board` at (2, 1) and a 2x1 `cafe` at (5, 1).
fn map_with_board_and_cafe() -> TileMap {
    open_map(
        9,
        3,
        vec![
            landmark("board", "board", 2, 1, 1, 1),
            landmark("cafe", "cafe", 5, 1, 2, 1),
        ],
    )
}

#[test]
fn the_board_can_be_used_only_on_a_board_landmark() {
    // use_board is refused off the board (elsewhere or on another landmark) and sets UsingBoard
    // on it.
    let mut world = world(map_with_board_and_cafe());
    let outside = spawn_at(&mut world, 1, 0, 0);
    let in_cafe = spawn_at(&mut world, 2, 5, 1);
    let on_board = spawn_at(&mut world, 3, 2, 1);
    world.advance(at(1));
    for (id, at_tile) in [(outside, TilePos::new(0, 0)), (in_cafe, TilePos::new(5, 1))] {
        match world.act(id, Action::UseBoard {}, at(1)) {
            Err(WorldError::WrongPlace { wanted, at }) => {
                assert!(wanted.contains("board"), "{wanted}");
                assert_eq!(at, at_tile);
            }
            other => panic!("agent {id}: expected WrongPlace, got {other:?}"),
        }
    }
    let outcome = world
        .act(on_board, Action::UseBoard {}, at(1))
        .expect("use");
    assert_eq!(outcome.activity.kind, ActivityKind::UsingBoard);
    assert_eq!(outcome.activity.landmark.as_deref(), Some("board"));
    let delta = world.advance(at(2));
    assert_eq!(
        delta.status.len(),
        1,
        "only the board user changed: {delta:?}"
    );
    assert_eq!(delta.status[0].id, on_board);
    assert_eq!(delta.status[0].activity.kind, ActivityKind::UsingBoard);
}

#[test]
fn work_happens_only_on_a_landmark() {
    // work is refused off any landmark or with a bad detail, and records the landmark and
    // detail on one.
    let mut world = world(map_with_board_and_cafe());
    let outside = spawn_at(&mut world, 1, 0, 0);
    let in_cafe = spawn_at(&mut world, 2, 6, 1);
    let err = world.act(outside, Action::Work { detail: None }, at(0));
    assert!(matches!(err, Err(WorldError::WrongPlace { .. })), "{err:?}");
    let long = "x".repeat(world.limits().activity_detail_chars_max + 1);
    let err = world.act(in_cafe, Action::Work { detail: Some(long) }, at(0));
    assert!(matches!(err, Err(WorldError::Invalid(_))), "{err:?}");
    assert_eq!(activity(&world, in_cafe), ActivityKind::Idle);
    let outcome = world
        .act(
            in_cafe,
            Action::Work {
                detail: Some("brewing".into()),
            },
            at(0),
        )
        .expect("work");
    assert_eq!(
        outcome.activity,
        Activity {
            kind: ActivityKind::Working,
            landmark: Some("cafe".into()),
            detail: Some("brewing".into()),
        }
    );
    assert_eq!(
        world.agent(in_cafe).expect("agent").activity,
        outcome.activity
    );
}

#[test]
fn idle_stops_a_walk_where_the_agent_stands() {
    // The idle action ends a walk at once: no further steps, activity Idle.
    let mut world = world(open_map(12, 3, vec![]));
    let id = spawn_at(&mut world, 1, 0, 1);
    world
        .request_move(id, MoveRequest::Tile { x: 11, y: 1 }, at(0))
        .expect("move");
    world.advance(at(1));
    world.advance(at(2));
    assert_eq!(pos(&world, id), TilePos::new(2, 1));
    let outcome = world.act(id, Action::Idle {}, at(2)).expect("idle");
    assert_eq!(outcome.activity.kind, ActivityKind::Idle);
    for tick in 3..=15 {
        assert!(world.advance(at(tick)).moved.is_empty(), "tick {tick}");
    }
    assert_eq!(pos(&world, id), TilePos::new(2, 1));
}

#[test]
fn paused_and_quarantined_agents_can_neither_move_nor_act() {
    // An agent whose status does not allow acting is refused every move and action with
    // NotAllowed, nothing changes, and time does not turn it idle.
    let map = map_with_board_and_cafe();
    let mut world = world(map);
    // One stands on the board and one in the cafe, so every action would otherwise be allowed.
    for (id, x, status) in [
        (1, 2, AgentStatus::Paused),
        (2, 5, AgentStatus::Quarantined),
    ] {
        let mut record = AgentRecord {
            view: view(id, x, 1),
            has_position: true,
        };
        record.view.status = status;
        world.spawn(record).expect("spawn");
    }
    world.advance(at(1));
    world.take_dirty();
    let before = world.snapshot();
    for (id, status) in [
        (AgentId(1), AgentStatus::Paused),
        (AgentId(2), AgentStatus::Quarantined),
    ] {
        let refused = Err(WorldError::NotAllowed(status));
        let moved = world.request_move(id, MoveRequest::Offset { dx: 0, dy: 1 }, at(1));
        assert_eq!(moved.map(|_| ()), refused.clone());
        let actions = [
            Action::Talk { text: "hi".into() },
            Action::UseBoard {},
            Action::Work { detail: None },
            Action::Idle {},
        ];
        for action in actions {
            let acted = world.act(id, action.clone(), at(1));
            assert_eq!(acted.map(|_| ()), refused.clone(), "{action:?}");
        }
    }
    let message = WorldError::NotAllowed(AgentStatus::Paused).to_string();
    assert!(message.contains("paused"), "{message}");
    assert_eq!(world.snapshot(), before);
    assert!(world.take_dirty().is_empty());
    let long_after = at(1) + world.limits().idle_after_ms * 10;
    assert!(world.advance(long_after).is_empty());
    assert_eq!(
        world.agent(AgentId(1)).expect("a").status,
        AgentStatus::Paused
    );
    assert_eq!(
        world.agent(AgentId(2)).expect("a").status,
        AgentStatus::Quarantined
    );
}

#[test]
fn perception_has_a_default_and_a_maximum_radius_and_sorts_by_distance() {
    // perceive uses the default radius when none is given, refuses more than the maximum, and
    // lists the agents and landmarks within the radius nearest first.
    let landmarks = vec![
        landmark("here", "plaza", 9, 9, 3, 3),
        landmark("near", "cafe", 15, 10, 2, 2),
        landmark("far", "home", 30, 10, 2, 2),
    ];
    let mut world = world(open_map(40, 24, landmarks));
    let me = spawn_at(&mut world, 1, 10, 10);
    let d3_b = spawn_at(&mut world, 5, 13, 12);
    let d1 = spawn_at(&mut world, 7, 11, 11);
    let d3_a = spawn_at(&mut world, 4, 7, 10);
    let d8 = spawn_at(&mut world, 2, 2, 18);
    let d9 = spawn_at(&mut world, 3, 19, 10);
    let limits = world.limits().clone();
    let seen = world.perceive(me, None, None).expect("perceive");
    assert_eq!(seen.radius, limits.perception_radius_default);
    assert_eq!(seen.radius, 8);
    assert_eq!(seen.me.id, me);
    assert_eq!(seen.at_landmark.as_deref(), Some("here"));
    let nearby: Vec<(u32, AgentId)> = seen
        .agents
        .iter()
        .map(|n| (n.distance, n.agent.id))
        .collect();
    assert_eq!(nearby, vec![(1, d1), (3, d3_a), (3, d3_b), (8, d8)]);
    let places: Vec<(u32, &str)> = seen
        .landmarks
        .iter()
        .map(|n| (n.distance, n.landmark.key.as_str()))
        .collect();
    assert_eq!(places, vec![(0, "here"), (5, "near")]);
    let wide = world
        .perceive(me, Some(limits.perception_radius_max), None)
        .expect("the maximum is allowed");
    assert_eq!(wide.agents.len(), 5);
    assert_eq!(wide.agents[4].agent.id, d9);
    assert_eq!(wide.landmarks.len(), 3, "far is 20 tiles away");
    let narrow = world.perceive(me, Some(0), None).expect("radius 0");
    assert!(narrow.agents.is_empty());
    let err = world.perceive(me, Some(limits.perception_radius_max + 1), None);
    assert!(matches!(err, Err(WorldError::Invalid(_))), "{err:?}");
}

#[test]
fn a_quiet_online_agent_becomes_idle_and_acting_brings_it_back() {
    // An Online agent that has not acted for more than `idle_after_ms` turns Idle (announced in
    // the delta, once); a walking agent does not; acting makes it Online again.
    let limits = WorldLimits {
        idle_after_ms: 1_000,
        ..WorldLimits::default()
    };
    let mut world = world_with(open_map(30, 3, vec![]), limits);
    let quiet = spawn_at(&mut world, 1, 0, 0);
    let walker = spawn_at(&mut world, 2, 0, 2);
    world
        .request_move(walker, MoveRequest::Tile { x: 29, y: 2 }, T0)
        .expect("move");
    world.advance(T0 + 500);
    let delta = world.advance(T0 + 1_000);
    assert!(
        delta.status.is_empty(),
        "not yet: exactly the limit is still online"
    );
    let delta = world.advance(T0 + 1_001);
    assert_eq!(delta.status.len(), 1, "{:?}", delta.status);
    assert_eq!(delta.status[0].id, quiet);
    assert_eq!(delta.status[0].status, AgentStatus::Idle);
    assert_eq!(world.agent(quiet).expect("a").status, AgentStatus::Idle);
    assert_eq!(world.agent(walker).expect("a").status, AgentStatus::Online);
    assert!(
        world.advance(T0 + 1_100).status.is_empty(),
        "announced once"
    );
    world
        .act(
            quiet,
            Action::Talk {
                text: "awake".into(),
            },
            T0 + 1_150,
        )
        .expect("talk");
    let delta = world.advance(T0 + 1_200);
    let back = delta
        .status
        .iter()
        .find(|s| s.id == quiet)
        .expect("announced");
    assert_eq!(back.status, AgentStatus::Online);
}

#[test]
fn take_dirty_returns_each_changed_agent_once() {
    // take_dirty hands over spawned, moved and re-statused agents once each, and never a
    // standing or despawned one.
    let mut world = world(open_map(6, 3, vec![]));
    let a = spawn_at(&mut world, 1, 0, 0);
    let b = spawn_at(&mut world, 2, 5, 2);
    let c = spawn_at(&mut world, 3, 0, 2);
    let ids: Vec<AgentId> = world.take_dirty().iter().map(|u| u.id).collect();
    assert_eq!(ids, vec![a, b, c]);
    assert!(world.take_dirty().is_empty());
    world
        .request_move(a, MoveRequest::Offset { dx: 1, dy: 0 }, at(0))
        .expect("move");
    world
        .request_move(c, MoveRequest::Offset { dx: 1, dy: 0 }, at(0))
        .expect("move");
    world.despawn(c).expect("despawn");
    world.advance(at(1));
    let updates = world.take_dirty();
    assert_eq!(updates.len(), 1, "{updates:?}");
    assert_eq!(updates[0].id, a);
    assert_eq!(updates[0].pos, TilePos::new(1, 0));
    assert_eq!(updates[0].facing, Facing::East);
    assert!(world.take_dirty().is_empty());
    world.advance(at(2));
    assert!(world.take_dirty().is_empty(), "nobody changed");
}

#[test]
fn despawn_frees_the_tile_and_keeps_the_others_reachable() {
    // A despawned agent is gone, its tile is free for the next agent, and the remaining agents
    // are still found by id.
    let mut world = world(open_map(6, 3, vec![]));
    let a = spawn_at(&mut world, 1, 1, 1);
    let b = spawn_at(&mut world, 2, 2, 1);
    let c = spawn_at(&mut world, 3, 3, 1);
    world.advance(at(1));
    world.despawn(a).expect("despawn");
    assert_eq!(world.agent(a), Err(WorldError::UnknownAgent(a)));
    assert_eq!(world.despawn(a), Err(WorldError::UnknownAgent(a)));
    assert_eq!(pos(&world, b), TilePos::new(2, 1));
    assert_eq!(pos(&world, c), TilePos::new(3, 1));
    world.assert_invariants();
    let delta = world.advance(at(2));
    assert_eq!(delta.despawned, vec![a]);
    let d = spawn_at(&mut world, 4, 1, 1);
    world
        .request_move(c, MoveRequest::Tile { x: 3, y: 0 }, at(2))
        .expect("c still moves");
    world.advance(at(3));
    assert_eq!(pos(&world, c), TilePos::new(3, 0));
    assert_eq!(pos(&world, d), TilePos::new(1, 1));
    assert_eq!(world.agent_count(), 3);
    world.assert_invariants();
}

#[test]
fn spawning_on_a_taken_or_blocked_position_relocates_to_a_free_walkable_tile() {
    // A saved position that is taken moves the newcomer to a free neighbour; a blocked saved
    // position or none at all places it in its home landmark; duplicates and a full world are
    // refused.
    let map = ascii_map(
        &[
            "........", //
            "..#.....", "........", "........",
        ],
        vec![landmark("home-a", "home", 5, 1, 2, 2)],
    );
    let home = TileRect {
        x: 5,
        y: 1,
        w: 2,
        h: 2,
    };
    let limits = WorldLimits {
        agents_max: 4,
        ..WorldLimits::default()
    };
    let mut world = world_with(map, limits);
    spawn_at(&mut world, 1, 1, 1);
    let taken = world
        .spawn(AgentRecord {
            view: view(2, 1, 1),
            has_position: true,
        })
        .expect("spawn");
    assert_eq!(taken.pos.manhattan(TilePos::new(1, 1)), 1, "{}", taken.pos);
    assert_ne!(taken.pos, TilePos::new(2, 1), "that tile is a wall");
    let mut on_wall = view(3, 2, 1);
    on_wall.home = Some("home-a".into());
    let walled = world
        .spawn(AgentRecord {
            view: on_wall,
            has_position: true,
        })
        .expect("spawn");
    assert!(home.contains(walled.pos), "{}", walled.pos);
    let mut homeless = view(4, 0, 0);
    homeless.home = Some("home-a".into());
    let fresh = world
        .spawn(AgentRecord {
            view: homeless,
            has_position: false,
        })
        .expect("spawn");
    assert!(home.contains(fresh.pos), "{}", fresh.pos);
    assert_ne!(fresh.pos, walled.pos);
    world.assert_invariants();
    let again = world.spawn(AgentRecord {
        view: view(1, 7, 3),
        has_position: true,
    });
    assert_eq!(again, Err(WorldError::DuplicateAgent(AgentId(1))));
    let full = world.spawn(AgentRecord {
        view: view(5, 7, 3),
        has_position: true,
    });
    assert_eq!(full, Err(WorldError::Full(4)));
    let delta = world.advance(at(1));
    assert_eq!(delta.spawned.len(), 4);
}

#[test]
fn the_village_map_loads_with_walkable_landmarks_and_a_board() {
    // The real map loads, and every landmark lies on walkable tiles reachable from the plaza.
    let map = village_map();
    assert_eq!((map.width(), map.height()), (48, 32));
    let keys: Vec<String> = map.landmarks().iter().map(|l| l.key.clone()).collect();
    for key in ["board", "cafe", "library", "market", "plaza", "workshop"] {
        assert!(keys.iter().any(|k| k == key), "{key} missing from {keys:?}");
    }
    assert_eq!(map.landmark("board").expect("board").kind, "board");
    let mut world = world(map);
    let walker = world
        .spawn(AgentRecord {
            view: view(1, 0, 0),
            has_position: false,
        })
        .expect("spawn")
        .id;
    for key in keys {
        let plan = world.request_move(
            walker,
            MoveRequest::Landmark {
                landmark: key.clone(),
            },
            at(0),
        );
        assert!(plan.is_ok(), "{key}: {plan:?}");
    }
}

#[test]
fn fifty_agents_walking_the_village_for_500_ticks_keep_every_invariant() {
    // A fixed-seed random mix of walks, stops and talk by 50 agents on the real map never
    // breaks a movement rule or a world invariant, and the deltas alone reproduce the state.
    let mut world = world(village_map());
    let keys: Vec<String> = world
        .map()
        .landmarks()
        .iter()
        .map(|l| l.key.clone())
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(0x5EED_0FA1_1A9E);
    let mut ids = Vec::new();
    for n in 1..=50u64 {
        let mut agent = view(n, 0, 0);
        agent.home = Some(keys[rng.random_range(0..keys.len())].clone());
        let placed = world
            .spawn(AgentRecord {
                view: agent,
                has_position: false,
            })
            .expect("spawn");
        ids.push(placed.id);
    }
    world.assert_invariants();
    let mut mirror = Mirror::of(&world);
    let (mut walks, mut moves, mut lines) = (0, 0, 0);
    let (width, height) = (world.map().width(), world.map().height());
    for tick in 1..=500u64 {
        let now = at(tick - 1);
        for &id in &ids {
            let roll = rng.random_range(0..100);
            let walking = activity(&world, id) == ActivityKind::Walking;
            let result = match roll {
                0..=9 if !walking => {
                    let key = keys[rng.random_range(0..keys.len())].clone();
                    world
                        .request_move(id, MoveRequest::Landmark { landmark: key }, now)
                        .map(|_| ())
                }
                10..=12 => {
                    let x = i64::try_from(rng.random_range(0..usize::from(width))).expect("x");
                    let y = i64::try_from(rng.random_range(0..usize::from(height))).expect("y");
                    world
                        .request_move(id, MoveRequest::Tile { x, y }, now)
                        .map(|_| ())
                }
                13 => world.act(id, Action::Idle {}, now).map(|_| ()),
                14 => {
                    let text = format!("tick {tick}");
                    world.act(id, Action::Talk { text }, now).map(|_| ())
                }
                _ => continue,
            };
            match result {
                Ok(()) if roll <= 12 => walks += 1,
                Ok(()) if roll == 14 => lines += 1,
                Ok(())
                | Err(
                    WorldError::NotWalkable(_)
                    | WorldError::Unreachable { .. }
                    | WorldError::LandmarkFull { .. }
                    | WorldError::TalkTooSoon { .. },
                ) => {}
                Err(other) => panic!("unexpected refusal in tick {tick}: {other}"),
            }
        }
        let delta = world.advance(at(tick));
        assert_eq!(delta.tick, Tick(tick));
        world.assert_invariants();
        moves += mirror.apply(&world, &delta);
    }
    assert!(walks > 500, "only {walks} walks started");
    assert!(moves > 5_000, "only {moves} steps taken");
    assert!(lines > 100, "only {lines} lines spoken");
}

#[test]
fn a_move_to_where_a_walker_already_stands_ends_its_walk() {
    // Asking a walker to go where it is stops it and says so: its activity leaves Walking.
    let mut world = world(open_map(
        12,
        3,
        vec![landmark("plaza", "plaza", 0, 0, 3, 3)],
    ));
    let id = spawn_at(&mut world, 1, 0, 1);
    world
        .request_move(id, MoveRequest::Tile { x: 11, y: 1 }, at(0))
        .unwrap();
    world.advance(at(1));
    let plan = world
        .request_move(
            id,
            MoveRequest::Landmark {
                landmark: "plaza".into(),
            },
            at(1),
        )
        .unwrap();
    assert_eq!(plan.steps, 0);
    let delta = world.advance(at(2));
    assert!(delta.moved.is_empty());
    assert!(delta.status.iter().any(|c| c.id == id));
    assert_eq!(activity(&world, id), ActivityKind::Idle);
    assert_eq!(
        world.agent(id).unwrap().activity.landmark.as_deref(),
        Some("plaza")
    );
}

#[test]
fn an_agent_saved_mid_walk_comes_back_standing() {
    // A walk does not survive a restart: a saved Walking activity is restored as Idle.
    let mut world = world(open_map(12, 3, vec![]));
    let mut saved = view(1, 0, 1);
    saved.activity = Activity {
        kind: ActivityKind::Walking,
        landmark: Some("cafe".into()),
        detail: None,
    };
    world
        .spawn(AgentRecord {
            view: saved,
            has_position: true,
        })
        .unwrap();
    assert_eq!(activity(&world, AgentId(1)), ActivityKind::Idle);
    assert_eq!(pos(&world, AgentId(1)), TilePos::new(0, 1));
}

#[test]
fn a_walker_that_gives_up_on_a_landmark_still_says_where_it_is() {
    // Giving up leaves the agent idle on the landmark it stands on, like arriving does.
    let limits = WorldLimits {
        give_up_after_blocked_ticks: 5,
        ..WorldLimits::default()
    };
    let mut world = world_with(
        open_map(9, 1, vec![landmark("road", "plaza", 0, 0, 9, 1)]),
        limits,
    );
    spawn_at(&mut world, 1, 4, 0);
    let walker = spawn_at(&mut world, 2, 0, 0);
    world
        .request_move(walker, MoveRequest::Tile { x: 8, y: 0 }, at(0))
        .unwrap();
    for t in 1..20 {
        world.advance(at(t));
    }
    let agent = world.agent(walker).unwrap();
    assert_eq!(agent.activity.kind, ActivityKind::Idle);
    assert_eq!(agent.activity.landmark.as_deref(), Some("road"));
}

#[test]
fn a_tier_change_event_sets_the_agents_tier_in_later_snapshots() {
    // A TierChanged pushed into the world goes out in the tick's delta and changes that
    // agent's view, so the next snapshot agrees with the event; other agents keep theirs, and
    // an event for an agent the world does not hold changes nothing.
    let mut world = world(open_map(8, 8, vec![]));
    let ada = spawn_at(&mut world, 1, 1, 1);
    let bo = spawn_at(&mut world, 2, 3, 3);
    world.advance(at(1));
    let event = shared::protocol::VillageEvent::TierChanged {
        agent: ada,
        from: "seedling".into(),
        to: "worker".into(),
        reason: "reward".into(),
    };
    assert!(world.push_event(event.clone()));
    assert!(
        world.push_event(shared::protocol::VillageEvent::TierChanged {
            agent: AgentId(99),
            from: "seedling".into(),
            to: "guild".into(),
            reason: "reward".into(),
        })
    );
    let delta = world.advance(at(2));
    assert_eq!(delta.events[0], event);
    let snapshot = world.snapshot();
    let tier = |id: AgentId| {
        snapshot
            .agents
            .iter()
            .find(|a| a.id == id)
            .map(|a| a.tier.clone())
    };
    assert_eq!(tier(ada).as_deref(), Some("worker"));
    assert_eq!(tier(bo).as_deref(), Some("seedling"));
    assert_eq!(snapshot.agents.len(), 2);
}
