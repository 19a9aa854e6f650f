//! The LLM brain without a gateway: the request and its bounded prompt, the pause after
//! failures, and the scripted fallback when the gateway
//! cannot be reached or does not answer in time. The tool calls read are tested beside
//! `llm_tools.rs`.

#![allow(clippy::unwrap_used)]

use serde_json::json;
use shared::runtime::DiskUse;
use shared::{Audience, Author, BoardPost, Landmark, Tick, TilePos, TileRect};

use super::*;
use crate::brain::{Intent, Outcome};
use crate::config::{AgentToken, ServerAddress};
use crate::llm_prompt::{ITEM_CHARS_MAX, LIST_ITEMS_MAX, PROMPT_CHARS_MAX};
use crate::test_fixtures::{author, post_to, reply, standing, view};
use shared::api::{
    AgentPerception, BoardFeed, HeardSpeech, NearbyAgent, NearbyLandmark, Perception, Standing,
};

const ME: AgentId = AgentId(7);

fn hana() -> Author {
    author("hana", None)
}

fn post_to_me(id: u64, body: &str) -> BoardPost {
    post_to(ME, id, hana(), "Which map is oldest?", body)
}

fn perception() -> AgentPerception {
    let cafe = Landmark {
        key: "cafe".into(),
        label: "Café Lumen".into(),
        kind: "cafe".into(),
        area: TileRect {
            x: 1,
            y: 1,
            w: 2,
            h: 2,
        },
    };
    AgentPerception {
        world: Perception {
            radius: 8,
            tick: Tick(100),
            me: view(ME, "Ada Quill"),
            at_landmark: Some("plaza".into()),
            agents: vec![NearbyAgent {
                distance: 2,
                agent: view(AgentId(3), "Bram Mossley"),
            }],
            landmarks: vec![NearbyLandmark {
                distance: 4,
                landmark: cafe,
            }],
            heard: Vec::new(),
        },
        board: BoardFeed {
            replies_to_my_posts: Vec::new(),
            posts_to_me: vec![post_to_me(12, "Please tell me.")],
            cursor: "r0-p12".into(),
        },
        economy: Standing {
            downgrade_warning: true,
            ..standing(ME, 1_500_000)
        },
        disk: Some(DiskUse {
            bytes: 900 << 20,
            entries: 40,
            complete: true,
        }),
    }
}

#[test]
fn the_request_offers_every_tool_and_tells_what_the_agent_perceives() {
    // The body names the model, bounds the completion, offers the seven tools, and its
    // prompts carry the persona, the place, neighbours, landmarks, money, disk (past 80 %:
    // warned) and outcomes; posts addressed to it are tasks, not part of its life's prompt.
    let mut brain = LlmBrain::new(ME).with_model("village-small");
    let perception = perception();
    let previous = vec![(
        Intent::Post {
            title: "Maps?".into(),
            body: "b".into(),
            tags: Vec::new(),
            audience: Audience::Humans,
        },
        Outcome::Failed {
            status: Some(409),
            code: "not_at_board".into(),
        },
    )];
    let recall = Recall {
        step: 5,
        previous: &previous,
    };
    brain.observe(&perception);
    let body = serde_json::to_value(brain.request(&perception, &recall)).unwrap();
    assert_eq!(body["model"], "village-small");
    assert_eq!(body["max_tokens"], COMPLETION_TOKENS_MAX);
    let tools: Vec<&str> = body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap())
        .collect();
    let names = [
        "move_to",
        "talk",
        "work",
        "post",
        "reply",
        "buy_boost",
        "idle",
    ];
    assert_eq!(tools, names);
    assert_eq!(body["tools"][0]["type"], "function");
    let reply = &body["tools"][4]["function"]["parameters"];
    assert_eq!(reply["required"], json!(["post_id", "body"]));
    assert_eq!(reply["properties"]["post_id"]["type"], "integer");
    assert_eq!(body["messages"][0]["role"], "system");
    let system = body["messages"][0]["content"].as_str().unwrap();
    for needle in [
        "Ada Quill",
        "old maps",
        "home-ash",
        "sources",
        "never invent",
    ] {
        assert!(system.contains(needle), "{needle} not in {system}");
    }
    let user = body["messages"][1]["content"].as_str().unwrap();
    for needle in [
        "Step 5",
        "`plaza`",
        "Bram Mossley (agent 3)",
        "`cafe`: Café Lumen",
        "Places you know:\n- `board`\n- `cafe`\n- `home-ash`\n",
        "1.50 aiDollars",
        "tier seedling",
        "drops soon",
        "Disk: 900 of 1024 MiB used; WARNING: past the limit you are paused",
        "post \"Maps?\": failed (409 not_at_board)",
    ] {
        assert!(user.contains(needle), "{needle} not in {user}");
    }
    assert!(!user.contains("Please tell me."), "{user}");
}

#[test]
fn the_disk_is_told_plainly_under_80_percent_loudly_over_and_left_out_unmeasured() {
    let mut brain = LlmBrain::new(ME).with_model("village-small");
    let recall = Recall {
        step: 1,
        previous: &[],
    };
    let user = |perception: &AgentPerception, brain: &mut LlmBrain| {
        let body = serde_json::to_value(brain.request(perception, &recall)).unwrap();
        body["messages"][1]["content"].as_str().unwrap().to_string()
    };
    let mut perception = perception();
    perception.disk = perception.disk.map(|disk| DiskUse {
        bytes: 800 << 20,
        ..disk
    });
    let text = user(&perception, &mut brain);
    assert!(text.contains("Disk: 800 of 1024 MiB used.\n"), "{text}");
    perception.disk = perception.disk.map(|disk| DiskUse {
        bytes: 1100 << 20,
        ..disk
    });
    let text = user(&perception, &mut brain);
    assert!(
        text.contains("Disk: 1100 of 1024 MiB used; OVER YOUR LIMIT"),
        "{text}"
    );
    perception.disk = None;
    assert!(!user(&perception, &mut brain).contains("Disk:"));
}

#[test]
fn the_prompt_stays_under_its_cap_however_much_is_perceived() {
    // Fifty long lines heard, posts and replies, and a huge persona, give bounded prompts:
    // each item clipped, each list cut, the whole cut at its cap.
    let mut perception = perception();
    perception.world.me.persona = "x".repeat(10_000);
    perception.board.posts_to_me = (0..50).map(|i| post_to_me(i, &"y".repeat(4_000))).collect();
    perception.world.heard = (0..50)
        .map(|i| HeardSpeech {
            tick: Tick(i),
            from: AgentId(3),
            from_name: "Bram".into(),
            from_pos: TilePos::new(1, 1),
            text: "z".repeat(280),
        })
        .collect();
    perception.board.replies_to_my_posts = (0..50)
        .map(|i| reply(i, i, hana(), &"w".repeat(2_000)))
        .collect();
    let recall = Recall {
        step: 1,
        previous: &[],
    };
    let mut brain = LlmBrain::new(ME).with_model("village-small");
    brain.observe(&perception);
    let user = brain.user_prompt(&perception, &recall);
    assert_eq!(user.chars().count(), PROMPT_CHARS_MAX + 1);
    assert!(user.ends_with('…'));
    assert_eq!(user.matches("Bram: ").count(), LIST_ITEMS_MAX);
    assert!(!user.contains(&"y".repeat(ITEM_CHARS_MAX + 1)));
    let system = system_prompt(&perception.world.me);
    assert!(system.chars().count() < 2 * ITEM_CHARS_MAX + 1_500);
}

#[test]
fn the_pause_after_failures_doubles_honours_retry_after_and_is_capped() {
    // 10 s, 20 s, 40 s ... up to the cap; a longer Retry-After wins, within the cap.
    let pause = |failures, retry| llm_pause(LLM_PAUSE_MIN, failures, retry);
    assert_eq!(pause(1, None), LLM_PAUSE_MIN);
    assert_eq!(pause(3, None), LLM_PAUSE_MIN * 4);
    assert_eq!(pause(60, None), LLM_PAUSE_MAX);
    let retry = Some(Duration::from_secs(45));
    assert_eq!(pause(1, retry), Duration::from_secs(45));
    assert_eq!(pause(1, Some(Duration::from_secs(3_600))), LLM_PAUSE_MAX);
    assert_eq!(llm_pause(Duration::ZERO, 4, None), Duration::ZERO);
}

#[tokio::test]
async fn an_unreachable_gateway_gives_the_scripted_choice_and_a_remembered_failure() {
    // The failed call is an `llm` act with its code and the scripted brain's intents; during
    // the pause that follows no call is made; the next prompt tells the model what happened.
    let dir = tempfile::tempdir().unwrap();
    let address = ServerAddress::Unix {
        path: dir.path().join("absent.sock"),
    };
    let client = ApiClient::new(address, ME, AgentToken::new("avt_x", "T").unwrap());
    let perception = perception();
    let mut scripted = ScriptedBrain::new(ME);
    let mut brain = LlmBrain::new(ME).with_model("village-small");
    let recall = |step| Recall {
        step,
        previous: &[],
    };
    let first = brain.decide_step(&client, &perception, recall(0)).await;
    assert_eq!(first.intents, scripted.decide(&perception, &recall(0)));
    assert!(!first.intents.is_empty());
    let failed = DecideAct {
        kind: "llm",
        error: Some("connect".into()),
    };
    assert_eq!((first.acts, first.requests), (vec![failed.clone()], 1));
    let paused = brain.decide_step(&client, &perception, recall(1)).await;
    assert_eq!(paused.intents, scripted.decide(&perception, &recall(1)));
    assert_eq!((paused.acts.len(), paused.requests), (0, 0));

    let mut eager = LlmBrain::new(ME)
        .with_model("village-small")
        .with_pause_min(Duration::ZERO);
    let first = eager.decide_step(&client, &perception, recall(0)).await;
    assert_eq!(first.acts, vec![failed]);
    let request = eager.request(&perception, &recall(1));
    let user = &request.messages[1].content;
    assert!(user.contains("asking the model failed (connect)"), "{user}");
}

#[tokio::test]
async fn a_gateway_that_does_not_answer_in_time_is_a_timeout_and_the_scripted_choice() {
    // A listener that never answers: the call gives up at its deadline and the step goes on.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = ServerAddress::Tcp {
        authority: listener.local_addr().unwrap().to_string(),
    };
    let client = ApiClient::new(address, ME, AgentToken::new("avt_x", "T").unwrap());
    let perception = perception();
    let recall = Recall {
        step: 0,
        previous: &[],
    };
    let mut brain = LlmBrain::new(ME)
        .with_model("village-small")
        .with_call_timeout(Duration::from_millis(100));
    let decision = brain.decide_step(&client, &perception, recall).await;
    let timed_out = DecideAct {
        kind: "llm",
        error: Some("timeout".into()),
    };
    assert_eq!(decision.acts, vec![timed_out]);
    let scripted = ScriptedBrain::new(ME).decide(&perception, &recall);
    assert_eq!(decision.intents, scripted);
    drop(listener);
}

#[test]
fn the_model_follows_the_tier_and_a_preference_it_allows() {
    // No preference: the tier's best (its last); a preference the tier lists: that one; one
    // it does not list: the tier's best again; an older server that lists none: the
    // preference, or the default.
    let small = vec!["village-small".to_string()];
    let three: Vec<String> = ["village-small", "village-medium", "village-large"]
        .map(String::from)
        .to_vec();
    assert_eq!(model_for(None, &three), "village-large");
    assert_eq!(model_for(None, &small), "village-small");
    assert_eq!(model_for(Some("village-medium"), &three), "village-medium");
    assert_eq!(model_for(Some("village-large"), &small), "village-small");
    assert_eq!(model_for(Some("village-medium"), &[]), "village-medium");
    assert_eq!(model_for(None, &[]), LLM_MODEL_DEFAULT);
}

#[tokio::test]
async fn its_own_life_asks_the_model_only_every_interval_unless_someone_addressed_it() {
    // With nothing addressed to it, the first step asks the model and the next (within the
    // interval) is the scripted routine with no request; a reply to its post asks again.
    let dir = tempfile::tempdir().unwrap();
    let address = ServerAddress::Unix {
        path: dir.path().join("absent.sock"),
    };
    let client = ApiClient::new(address, ME, AgentToken::new("avt_x", "T").unwrap());
    let mut quiet = perception();
    quiet.board.posts_to_me.clear();
    let mut brain = LlmBrain::new(ME)
        .with_model("village-small")
        .with_pause_min(Duration::ZERO);
    let recall = |step| Recall {
        step,
        previous: &[],
    };
    let first = brain.decide_step(&client, &quiet, recall(0)).await;
    assert_eq!(first.requests, 1);
    let routine = brain.decide_step(&client, &quiet, recall(1)).await;
    assert_eq!((routine.requests, routine.acts.len()), (0, 0));
    assert!(!routine.intents.is_empty());
    let mut addressed = quiet.clone();
    addressed.board.replies_to_my_posts = vec![reply(1, 1, hana(), "Here is my answer.")];
    let addressed = brain.decide_step(&client, &addressed, recall(2)).await;
    assert_eq!(addressed.requests, 1);
}
