//! The scripted brain on hand-made perceptions: errands, asking at the board, answering what
//! is addressed to it, boosts, and that the same inputs always give the same intents.

#![allow(clippy::unwrap_used)]

use shared::{Activity, BoardPost, Landmark, TilePos, TileRect};

use super::*;
use crate::test_fixtures::{author, post_to, reply, standing, view};
use shared::api::{AgentPerception, BoardFeed, HeardSpeech, NearbyLandmark, Perception};

const ME: AgentId = AgentId(7);
const NAME: &str = "Ada Quill";

fn landmark(key: &str, kind: &str) -> NearbyLandmark {
    NearbyLandmark {
        distance: 3,
        landmark: Landmark {
            key: key.into(),
            label: key.into(),
            kind: kind.into(),
            area: TileRect {
                x: 1,
                y: 1,
                w: 2,
                h: 2,
            },
        },
    }
}

fn perception(at: Option<&str>) -> AgentPerception {
    AgentPerception {
        world: Perception {
            radius: 8,
            tick: Tick(100),
            me: view(ME, NAME),
            at_landmark: at.map(str::to_string),
            agents: Vec::new(),
            landmarks: vec![
                landmark("board", "board"),
                landmark("cafe", "cafe"),
                landmark("library", "library"),
                landmark("home-ash", "home"),
                landmark("home-birch", "home"),
            ],
            heard: Vec::new(),
        },
        board: BoardFeed {
            replies_to_my_posts: Vec::new(),
            posts_to_me: Vec::new(),
            cursor: "r0-p0".into(),
        },
        economy: standing(ME, 0),
        disk: None,
    }
}

fn post_to_me(id: u64) -> BoardPost {
    let hana = author("hana", None);
    post_to(ME, id, hana, "A task for you", "Please look at my garden.")
}

/// A step at which no ask is due (past the phase, in a period already asked).
fn quiet(brain: &mut ScriptedBrain, step: u64) {
    brain.asked_period = Some(step / ASK_INTERVAL_STEPS);
}

fn decide(brain: &mut ScriptedBrain, perception: &AgentPerception, step: u64) -> Vec<Intent> {
    brain.decide(
        perception,
        &Recall {
            step,
            previous: &[],
        },
    )
}

fn kinds(intents: &[Intent]) -> Vec<&'static str> {
    intents.iter().map(Intent::kind).collect()
}

#[test]
fn the_ask_walks_to_the_board_posts_there_and_is_not_repeated() {
    // Due ask: walk to the board; at the board post it; once posted, nothing more this period.
    let mut brain = ScriptedBrain::new(ME);
    let away = decide(&mut brain, &perception(Some("cafe")), 10);
    assert_eq!(
        away,
        vec![Intent::MoveTo {
            landmark: BOARD.into()
        }]
    );
    let at_board = perception(Some(BOARD));
    let intents = decide(&mut brain, &at_board, 11);
    let post = intents.iter().find(|i| i.kind() == "post").unwrap().clone();
    let Intent::Post {
        title,
        body,
        audience,
        ..
    } = &post
    else {
        unreachable!()
    };
    assert!(
        title.ends_with('?') && body.contains(NAME),
        "{title} / {body}"
    );
    assert_eq!(*audience, Audience::Humans);
    let previous = [(post, Outcome::Done)];
    let next = brain.decide(
        &at_board,
        &Recall {
            step: 12,
            previous: &previous,
        },
    );
    assert!(!kinds(&next).contains(&"post"), "{next:?}");
    // The next period asks again.
    let later = decide(&mut brain, &at_board, ASK_INTERVAL_STEPS + 5);
    assert!(kinds(&later).contains(&"post"), "{later:?}");
}

#[test]
fn posts_addressed_to_it_and_replies_naming_it_are_answered_once() {
    // Each is answered at the board; a done answer is not repeated, a final refusal is dropped.
    let mut brain = ScriptedBrain::new(ME);
    quiet(&mut brain, 20);
    let mut seen = perception(Some("cafe"));
    seen.board.posts_to_me.push(post_to_me(4));
    seen.board.replies_to_my_posts.push(reply(
        9,
        2,
        author("bram", None),
        "ada quill, try the toml crate",
    ));
    seen.board
        .replies_to_my_posts
        .push(reply(10, 3, author("cleo", None), "no name here"));
    assert_eq!(
        decide(&mut brain, &seen, 20),
        vec![Intent::MoveTo {
            landmark: BOARD.into()
        }]
    );
    let at_board = perception(Some(BOARD));
    let replies = decide(&mut brain, &at_board, 21);
    let targets: Vec<PostId> = replies
        .iter()
        .filter_map(|i| match i {
            Intent::Reply { post_id, .. } => Some(*post_id),
            _ => None,
        })
        .collect();
    assert_eq!(targets, vec![PostId(4), PostId(2)]);
    let previous = [
        (replies[0].clone(), Outcome::Done),
        (
            replies[1].clone(),
            Outcome::Failed {
                status: Some(409),
                code: "thread_locked".into(),
            },
        ),
    ];
    let next = brain.decide(
        &at_board,
        &Recall {
            step: 22,
            previous: &previous,
        },
    );
    assert!(!kinds(&next).contains(&"reply"), "{next:?}");
}

#[test]
fn a_retryable_failure_is_retried_a_bounded_number_of_times() {
    // An answer refused for a passing reason is tried again, up to ANSWER_ATTEMPTS_MAX times.
    let mut brain = ScriptedBrain::new(ME);
    quiet(&mut brain, 30);
    let mut at_board = perception(Some(BOARD));
    at_board.board.posts_to_me.push(post_to_me(5));
    let mut intents = decide(&mut brain, &at_board, 30);
    let mut tries = 0;
    at_board.board.posts_to_me.clear();
    while let Some(reply) = intents.iter().find(|i| i.kind() == "reply").cloned() {
        tries += 1;
        assert!(tries <= ANSWER_ATTEMPTS_MAX, "answer retried forever");
        let failed = Outcome::Failed {
            status: Some(503),
            code: "world_unavailable".into(),
        };
        let previous = [(reply, failed)];
        intents = brain.decide(
            &at_board,
            &Recall {
                step: 30 + u64::from(tries),
                previous: &previous,
            },
        );
    }
    assert_eq!(tries, ANSWER_ATTEMPTS_MAX);
}

#[test]
fn errands_are_deterministic_and_skip_other_homes() {
    // Two brains of the same agent choose the same places; none is another agent's home.
    let mut a = ScriptedBrain::new(ME);
    let mut b = ScriptedBrain::new(ME);
    let seen = perception(None);
    let mut places = std::collections::BTreeSet::new();
    for step in 0..200 {
        quiet(&mut a, step);
        quiet(&mut b, step);
        let ia = decide(&mut a, &seen, step);
        assert_eq!(ia, decide(&mut b, &seen, step));
        for intent in ia {
            if let Intent::MoveTo { landmark } = intent {
                places.insert(landmark);
            }
        }
    }
    assert!(!places.contains("home-birch"), "{places:?}");
    assert!(
        places.contains("home-ash") && places.len() >= 3,
        "{places:?}"
    );
    // Another agent walks another schedule.
    let mut other = ScriptedBrain::new(AgentId(8));
    let theirs: Vec<_> = (0..200)
        .map(|step| {
            quiet(&mut other, step);
            decide(&mut other, &seen, step)
        })
        .collect();
    let mine: Vec<_> = (0..200)
        .map(|step| {
            quiet(&mut a, step);
            decide(&mut a, &seen, step)
        })
        .collect();
    assert_ne!(theirs, mine);
}

#[test]
fn at_its_errand_it_works_and_while_walking_there_it_waits() {
    // Arrived and idle: work; walking toward the errand: no new move.
    let mut brain = ScriptedBrain::new(ME);
    quiet(&mut brain, 0);
    let first = decide(&mut brain, &perception(None), 0);
    let Some(Intent::MoveTo { landmark }) = first.first().cloned() else {
        panic!("{first:?}");
    };
    let mut walking = perception(None);
    walking.world.me.activity = Activity {
        kind: ActivityKind::Walking,
        landmark: Some(landmark.clone()),
        detail: None,
    };
    assert_eq!(decide(&mut brain, &walking, 1), vec![]);
    let arrived = perception(Some(&landmark));
    let work = decide(&mut brain, &arrived, 2);
    assert!(
        matches!(work[..], [Intent::Work { .. }] | [Intent::UseBoard]),
        "{work:?}"
    );
}

#[test]
fn a_boost_is_bought_only_well_above_the_price_and_then_not_again_soon() {
    // Rich enough for artisan (20 × 2 aiD) at worker: buy artisan once; not while boosted.
    let mut brain = ScriptedBrain::new(ME);
    quiet(&mut brain, 40);
    let mut rich = perception(Some("cafe"));
    rich.economy.tier = "worker".into();
    rich.economy.balance_micros = 45_000_000;
    let intents = decide(&mut brain, &rich, 40);
    let buys: Vec<_> = intents.iter().filter(|i| i.kind() == "buy_boost").collect();
    assert_eq!(
        buys,
        vec![&Intent::BuyBoost {
            transfer_id: "boost-a7-s40".into(),
            tier: "artisan".into(),
            hours: 1
        }]
    );
    quiet(&mut brain, 41);
    assert!(!kinds(&decide(&mut brain, &rich, 41)).contains(&"buy_boost"));
    let mut poor = ScriptedBrain::new(ME);
    quiet(&mut poor, 40);
    rich.economy.balance_micros = 39_999_999;
    rich.economy.tier = "artisan".into();
    assert!(!kinds(&decide(&mut poor, &rich, 40)).contains(&"buy_boost"));
}

#[test]
fn speech_naming_it_gets_one_greeting() {
    // A new line that names the agent is answered once; the same line later is not.
    let mut brain = ScriptedBrain::new(ME);
    quiet(&mut brain, 50);
    let mut seen = perception(Some("cafe"));
    seen.world.heard.push(HeardSpeech {
        tick: Tick(90),
        from: AgentId(3),
        from_name: "Bram".into(),
        from_pos: TilePos::new(4, 4),
        text: "Morning, Ada Quill!".into(),
    });
    let talk = decide(&mut brain, &seen, 50);
    assert!(talk.contains(&Intent::Talk {
        text: "Hello, Bram! You called?".into()
    }));
    quiet(&mut brain, 51);
    assert!(!kinds(&decide(&mut brain, &seen, 51)).contains(&"talk"));
}
