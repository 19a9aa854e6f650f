//! The scripted brain: rules, no LLM. It walks between the landmarks it knows on a schedule
//! drawn from a ChaCha RNG seeded by its agent id (favouring places its persona names, going
//! home now and then), works where it arrives, answers board posts addressed to it and replies
//! that name it (at the board, where agents must stand to write), answers speech that names it,
//! asks for help on the board once per [`ASK_INTERVAL_STEPS`], and buys a compute boost when its
//! balance is well above a tier's price. A person who asks it to ``run `a command` `` gets the
//! command run in its container and an answer quoting the output and its source
//! (`asked_commands.rs`). Deterministic: the same perceptions and recalls give
//! the same intents, so it is tested without a server. It keeps only small bounded state.

use std::collections::{BTreeMap, VecDeque};

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use shared::api::{AgentPerception, Standing};
use shared::{ActivityKind, AgentId, Audience, PostId, PostStatus, Tick};

use super::asked_commands::AskedCommands;
use super::brain::{Brain, INTENTS_PER_STEP_MAX, Intent, Outcome, Recall};

/// The landmark key where agents post and reply (fixed by the API).
pub const BOARD: &str = "board";
/// The landmark kind of homes: an agent visits its own home, never another's.
const HOME_KIND: &str = "home";
/// Landmarks remembered; a map with more is walked over a subset (the first by key).
pub const LANDMARKS_KNOWN_MAX: usize = 64;
/// Answers waiting for the agent to reach the board; newer ones are dropped beyond this.
pub const PENDING_ANSWERS_MAX: usize = 16;
/// Answers written per step, so one step stays a few requests.
pub const ANSWERS_PER_STEP_MAX: usize = 2;
/// Tries per answer before it is given up.
pub const ANSWER_ATTEMPTS_MAX: u32 = 3;
/// Steps per ask-for-help period (10 minutes at the default 2 s step).
pub const ASK_INTERVAL_STEPS: u64 = 300;
/// The ask falls due `agent id % ASK_PHASE_SPREAD` steps into its period, spreading agents.
pub const ASK_PHASE_SPREAD: u64 = 3;
/// Tries per period at posting the ask before waiting for the next period.
pub const ASK_ATTEMPTS_MAX: u32 = 5;
/// Steps spent on one errand: `DWELL_STEPS_MIN + agent id % DWELL_STEPS_SPREAD`.
pub const DWELL_STEPS_MIN: u64 = 6;
pub const DWELL_STEPS_SPREAD: u64 = 6;
/// A boost is bought only when the balance is at least this many times its hourly price.
pub const BOOST_MARGIN: i64 = 20;
/// Hours bought per boost.
pub const BOOST_HOURS: u32 = 1;
/// Steps after a purchase attempt before the next one.
pub const BOOST_COOLDOWN_STEPS: u64 = 150;
/// Longest quoted title or persona excerpt in a generated text, in characters.
const QUOTE_CHARS_MAX: usize = 80;
/// Mixes the agent id into RNG seeds so neighbouring ids do not get similar streams.
const SEED_MIX: u64 = 0x9E37_79B9_7F4A_7C15;

/// The boost prices of the tiers the village ships with (`server/src/economy/default_tiers.toml`),
/// lowest tier first, in micro-aiDollar per hour. The API does not publish prices; a server
/// with other prices refuses a purchase (`422`), which costs one failed request per cooldown.
pub const DEFAULT_BOOST_PRICES: [(&str, i64); 3] = [
    ("worker", 500_000),
    ("artisan", 2_000_000),
    ("guild", 10_000_000),
];

/// Things the agent asks the village about.
const TOPICS: [&str; 6] = [
    "parsing a TOML file in Rust",
    "a good name for my garden",
    "fixing a squeaky door",
    "baking bread without an oven",
    "sorting my notes by date",
    "a short poem about the plaza",
];

/// Error codes after which an answer is pointless to retry (the thread is closed or gone, or
/// the text is refused).
const FINAL_ANSWER_CODES: [&str; 5] = [
    "thread_locked",
    "thread_full",
    "unknown_post",
    "invalid_field",
    "invalid_body",
];

#[derive(Debug, Clone, PartialEq, Eq)]
struct PendingAnswer {
    post_id: PostId,
    body: String,
    attempts: u32,
}

/// The scripted brain of one agent.
#[derive(Debug, Clone)]
pub struct ScriptedBrain {
    me: AgentId,
    /// Landmark key → kind, sorted by key so every choice is deterministic.
    known: BTreeMap<String, String>,
    /// Answers to write at the board, oldest first.
    pending: VecDeque<PendingAnswer>,
    /// The ask-for-help period whose ask is done (posted, or given up).
    asked_period: Option<u64>,
    /// Failed tries at posting the ask: (period, count).
    ask_failures: (u64, u32),
    /// No purchase before this step.
    next_boost_step: u64,
    /// The current errand: its schedule slot and landmark key.
    errand: Option<(u64, String)>,
    /// Speech up to this tick has been considered.
    heard_up_to: Tick,
    /// Commands people asked it to run, waiting for their turn.
    asked: AskedCommands,
}

impl ScriptedBrain {
    pub fn new(me: AgentId) -> ScriptedBrain {
        ScriptedBrain {
            me,
            known: BTreeMap::new(),
            pending: VecDeque::new(),
            asked_period: None,
            ask_failures: (0, 0),
            next_boost_step: 0,
            errand: None,
            heard_up_to: Tick(0),
            asked: AskedCommands::default(),
        }
    }

    /// Folds in what became of the previous step's intents.
    fn recall_outcomes(&mut self, step: u64, previous: &[(Intent, Outcome)]) {
        // The ask period the previous step was in.
        let period = step.saturating_sub(1) / ASK_INTERVAL_STEPS;
        for (intent, outcome) in previous {
            match (intent, outcome) {
                (Intent::Reply { post_id, body }, outcome) => {
                    let Some(at) = self
                        .pending
                        .iter()
                        .position(|a| a.post_id == *post_id && a.body == *body)
                    else {
                        continue;
                    };
                    let give_up = match outcome {
                        Outcome::Done | Outcome::Ran(_) => true,
                        Outcome::Failed { code, .. } => {
                            self.pending[at].attempts += 1;
                            FINAL_ANSWER_CODES.contains(&code.as_str())
                                || self.pending[at].attempts >= ANSWER_ATTEMPTS_MAX
                        }
                    };
                    if give_up {
                        self.pending.remove(at);
                    }
                }
                (Intent::Post { .. }, Outcome::Done) => self.asked_period = Some(period),
                (Intent::Post { .. }, Outcome::Failed { .. }) => {
                    if self.ask_failures.0 != period {
                        self.ask_failures = (period, 0);
                    }
                    self.ask_failures.1 += 1;
                    if self.ask_failures.1 >= ASK_ATTEMPTS_MAX {
                        self.asked_period = Some(period);
                    }
                }
                _ => {}
            }
        }
    }

    /// Remembers the landmarks in sight (and its home), up to [`LANDMARKS_KNOWN_MAX`].
    fn learn_landmarks(&mut self, perception: &AgentPerception) {
        let seen = perception
            .world
            .landmarks
            .iter()
            .map(|n| (n.landmark.key.clone(), n.landmark.kind.clone()));
        let home = perception
            .world
            .me
            .home
            .clone()
            .map(|key| (key, HOME_KIND.to_string()));
        let board = (BOARD.to_string(), BOARD.to_string());
        for (key, kind) in seen.chain(home).chain([board]) {
            if self.known.len() < LANDMARKS_KNOWN_MAX || self.known.contains_key(&key) {
                self.known.insert(key, kind);
            }
        }
    }

    /// Queues answers to posts addressed to the agent and to replies that name it.
    fn read_board(&mut self, perception: &AgentPerception) {
        let me = &perception.world.me.display_name;
        for post in &perception.board.posts_to_me {
            if post.author.agent_id == Some(self.me) || post.status != PostStatus::Open {
                continue;
            }
            // A person asking for a command is answered with what it printed, once it ran.
            if self.asked.take(post) {
                continue;
            }
            let body = format!(
                "Hello {}! {me} here. I read \"{}\" and will do what I can.",
                clip(&post.author.name),
                clip(&post.title)
            );
            self.queue_answer(post.id, body);
        }
        for reply in &perception.board.replies_to_my_posts {
            if reply.author.agent_id != Some(self.me) && mentions(&reply.body, me) {
                let body = format!(
                    "Thank you, {}! That helps {me} a lot.",
                    clip(&reply.author.name)
                );
                self.queue_answer(reply.post_id, body);
            }
        }
    }

    fn queue_answer(&mut self, post_id: PostId, body: String) {
        let queued = self.pending.iter().any(|a| a.post_id == post_id);
        if !queued && self.pending.len() < PENDING_ANSWERS_MAX {
            self.pending.push_back(PendingAnswer {
                post_id,
                body,
                attempts: 0,
            });
        } else if !queued {
            tracing::warn!(%post_id, "answer queue full; this post goes unanswered");
        }
    }

    /// A greeting for the first new line of speech that names the agent.
    fn answer_speech(&mut self, perception: &AgentPerception) -> Option<Intent> {
        let me = &perception.world.me.display_name;
        let newest = perception.world.heard.iter().map(|h| h.tick).max()?;
        let line = perception
            .world
            .heard
            .iter()
            .filter(|h| h.tick > self.heard_up_to && h.from != self.me)
            .find(|h| mentions(&h.text, me));
        self.heard_up_to = self.heard_up_to.max(newest);
        line.map(|h| Intent::Talk {
            text: format!("Hello, {}! You called?", clip(&h.from_name)),
        })
    }

    /// Whether this period's ask for help is due.
    fn ask_due(&self, step: u64) -> bool {
        self.asked_period != Some(step / ASK_INTERVAL_STEPS)
            && step % ASK_INTERVAL_STEPS >= self.me.0 % ASK_PHASE_SPREAD
    }

    /// The ask: a post to the humans, about compute when a downgrade is near.
    fn ask(&self, step: u64, perception: &AgentPerception) -> Intent {
        let name = clip(&perception.world.me.display_name);
        let mut rng = self.rng(step / ASK_INTERVAL_STEPS);
        let topic = TOPICS[index(&mut rng, TOPICS.len())];
        let (title, body) = if perception.economy.downgrade_warning {
            (
                "My compute is running low: is there a task I can help with?".to_string(),
                format!(
                    "Hello, I am {name}. My tier drops soon; I would gladly work for a reward."
                ),
            )
        } else {
            (
                format!("Could someone help me with {topic}?"),
                format!(
                    "Hello, I am {name}. {} I would love a hint about {topic}. Thank you!",
                    clip(&perception.world.me.persona)
                ),
            )
        };
        Intent::Post {
            title,
            body: body.trim().to_string(),
            tags: vec!["help".to_string()],
            audience: Audience::Humans,
        }
    }

    /// A boost purchase, when the balance is well above the price of a tier above the one in
    /// force and no boost is running.
    fn boost(&mut self, step: u64, standing: &Standing) -> Option<Intent> {
        if step < self.next_boost_step || standing.boost.is_some() {
            return None;
        }
        let current = DEFAULT_BOOST_PRICES
            .iter()
            .position(|(tier, _)| *tier == standing.tier);
        let (tier, _) = DEFAULT_BOOST_PRICES
            .iter()
            .enumerate()
            .rev()
            .filter(|(rank, _)| current.is_none_or(|c| *rank > c))
            .map(|(_, price)| price)
            .find(|(_, price)| standing.balance_micros >= price.saturating_mul(BOOST_MARGIN))?;
        self.next_boost_step = step.saturating_add(BOOST_COOLDOWN_STEPS);
        Some(Intent::BuyBoost {
            // Unique per agent and step; the step count survives restarts with the memory.
            transfer_id: format!("boost-a{}-s{step}", self.me),
            tier: (*tier).to_string(),
            hours: BOOST_HOURS,
        })
    }

    /// The landmark of the current errand: one per schedule slot, drawn from the known places
    /// (not other agents' homes), its home every fourth slot, a place its persona names half
    /// the time.
    fn errand(&mut self, step: u64, perception: &AgentPerception) -> Option<String> {
        let slot = step / (DWELL_STEPS_MIN + self.me.0 % DWELL_STEPS_SPREAD);
        if let Some((current, key)) = &self.errand
            && *current == slot
        {
            return Some(key.clone());
        }
        let home = perception.world.me.home.as_deref();
        let persona = perception.world.me.persona.to_lowercase();
        let places: Vec<&str> = self
            .known
            .iter()
            .filter(|(key, kind)| kind.as_str() != HOME_KIND || Some(key.as_str()) == home)
            .map(|(key, _)| key.as_str())
            .collect();
        let favourites: Vec<&str> = places
            .iter()
            .copied()
            .filter(|key| persona.contains(*key))
            .collect();
        let mut rng = self.rng(slot);
        let pick = match home {
            Some(home) if slot % 4 == 3 => home,
            _ if !favourites.is_empty() && rng.next_u32().is_multiple_of(2) => {
                favourites[index(&mut rng, favourites.len())]
            }
            _ if !places.is_empty() => places[index(&mut rng, places.len())],
            _ => return None,
        }
        .to_string();
        self.errand = Some((slot, pick.clone()));
        Some(pick)
    }

    fn rng(&self, stream: u64) -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(self.me.0.wrapping_mul(SEED_MIX) ^ stream)
    }
}

impl Brain for ScriptedBrain {
    fn name(&self) -> &'static str {
        "scripted"
    }

    fn decide(&mut self, perception: &AgentPerception, recall: &Recall<'_>) -> Vec<Intent> {
        let step = recall.step;
        self.recall_outcomes(step, recall.previous);
        for (post, body) in self
            .asked
            .recall(&perception.world.me.display_name, recall.previous)
        {
            self.queue_answer(post, body);
        }
        self.learn_landmarks(perception);
        self.read_board(perception);
        let me = &perception.world.me;
        let here = perception.world.at_landmark.as_deref();
        let walking_to = |key: &str| {
            me.activity.kind == ActivityKind::Walking
                && me.activity.landmark.as_deref() == Some(key)
        };
        // A command runs wherever the agent stands; its answer waits for the board.
        let mut intents: Vec<Intent> = self.asked.next_intent().into_iter().collect();
        let ask_due = self.ask_due(step);
        if !self.pending.is_empty() || ask_due {
            if here == Some(BOARD) {
                for answer in self.pending.iter().take(ANSWERS_PER_STEP_MAX) {
                    intents.push(Intent::Reply {
                        post_id: answer.post_id,
                        body: answer.body.clone(),
                    });
                }
                if ask_due {
                    intents.push(self.ask(step, perception));
                }
            } else if !walking_to(BOARD) {
                intents.push(Intent::MoveTo {
                    landmark: BOARD.to_string(),
                });
            }
        } else if let Some(errand) = self.errand(step, perception) {
            if here == Some(errand.as_str()) {
                if me.activity.kind == ActivityKind::Idle {
                    intents.push(if errand == BOARD {
                        Intent::UseBoard
                    } else {
                        Intent::Work {
                            detail: format!("spending time at the {errand}"),
                        }
                    });
                }
            } else if !walking_to(&errand) {
                intents.push(Intent::MoveTo { landmark: errand });
            }
        }
        intents.extend(self.boost(step, &perception.economy));
        intents.extend(self.answer_speech(perception));
        intents.truncate(INTENTS_PER_STEP_MAX);
        intents
    }
}

/// Whether `text` names `name` (ignoring case).
fn mentions(text: &str, name: &str) -> bool {
    !name.trim().is_empty() && text.to_lowercase().contains(&name.trim().to_lowercase())
}

/// A one-line excerpt of at most [`QUOTE_CHARS_MAX`] characters for a generated text.
fn clip(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(QUOTE_CHARS_MAX)
        .collect::<String>()
        .trim()
        .to_string()
}

/// A uniform-enough index below `len` (> 0); the bias of `%` is irrelevant for errands.
fn index(rng: &mut ChaCha8Rng, len: usize) -> usize {
    debug_assert!(len > 0, "index into an empty choice");
    (rng.next_u64() % len.max(1) as u64) as usize
}

#[cfg(test)]
#[path = "scripted_tests.rs"]
mod tests;
