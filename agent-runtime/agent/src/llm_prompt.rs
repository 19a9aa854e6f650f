//! The LLM brain's prompts: the system prompt (who the agent is, how the world works, to name
//! real sources only) and the user message (what the agent perceives and recalls), as plain
//! text, each bounded: [`PROMPT_CHARS_MAX`] for the user message, [`ITEM_CHARS_MAX`] per quoted
//! item, [`LIST_ITEMS_MAX`] items per list. Pure and total: it must not do I/O, keep or change
//! any state (the brain, `llm_brain.rs`, owns what it remembers and passes it in), offer tools
//! or read the model's answer (`llm_tools.rs`), or decide anything.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use shared::api::AgentPerception;
use shared::runtime::DiskUse;
use shared::{ActivityKind, AgentView};

use super::brain::{INTENTS_PER_STEP_MAX, Intent, Outcome, Recall};
use super::scripted::BOARD;

/// Longest user message, in characters; the system prompt adds at most about 2,000.
pub const PROMPT_CHARS_MAX: usize = 6_000;
/// Longest persona, post body, reply or speech line quoted in the prompt, in characters.
pub const ITEM_CHARS_MAX: usize = 400;
/// Most items of one kind (agents, landmarks, lines heard, posts, replies) in the prompt; also
/// the posts addressed to the agent kept until answered.
pub const LIST_ITEMS_MAX: usize = 8;
/// From this share of its disk limit on, the prompt warns the agent, in percent.
pub const DISK_WARNING_PERCENT: u64 = 80;

/// What the agent perceives and recalls, at most [`PROMPT_CHARS_MAX`] characters: `known`
/// landmark keys and `notes` on what went wrong deciding last step.
pub(super) fn user_prompt(
    perception: &AgentPerception,
    recall: &Recall<'_>,
    known: &BTreeSet<String>,
    notes: &[String],
) -> String {
    let (me, economy) = (&perception.world.me, &perception.economy);
    let place = perception.world.at_landmark.as_deref().map_or_else(
        || "not on a landmark".to_string(),
        |key| format!("on the landmark `{key}`"),
    );
    let mut text = String::new();
    // Writing to a String cannot fail: the `fmt::Result`s below are always `Ok`.
    let _ = writeln!(
        text,
        "Step {}, tick {}. You stand at {}, {place}, {}.",
        recall.step,
        perception.world.tick,
        me.pos,
        activity(me)
    );
    let _ = write!(
        text,
        "Money: {} aiDollars; tier {} (your balance alone reaches {})",
        aid(economy.balance_micros),
        economy.tier,
        economy.balance_tier
    );
    if let Some(boost) = &economy.boost {
        let _ = write!(text, "; a boost to {} is running", boost.tier);
    }
    if economy.downgrade_warning {
        text.push_str("; WARNING: your tier drops soon");
    }
    text.push_str(".\n");
    disk_line(&mut text, perception.disk, economy.entitlements.disk_mib);
    let agents = perception
        .world
        .agents
        .iter()
        .take(LIST_ITEMS_MAX)
        .map(|n| {
            let (a, name) = (&n.agent, one_line(&n.agent.display_name, ITEM_CHARS_MAX));
            format!(
                "{name} (agent {}), {} tiles away, {}",
                a.id,
                n.distance,
                activity(a)
            )
        });
    list(&mut text, "Agents nearby", agents);
    let landmarks = perception
        .world
        .landmarks
        .iter()
        .take(LIST_ITEMS_MAX)
        .map(|n| {
            let (l, label) = (&n.landmark, one_line(&n.landmark.label, ITEM_CHARS_MAX));
            format!(
                "`{}`: {label} ({}), {} tiles away",
                l.key, l.kind, n.distance
            )
        });
    list(&mut text, "Landmarks nearby", landmarks);
    let places = known.iter().map(|key| format!("`{key}`"));
    list(&mut text, "Places you know", places);
    let heard = perception
        .world
        .heard
        .iter()
        .rev()
        .take(LIST_ITEMS_MAX)
        .rev();
    let heard = heard.map(|h| {
        let (from, said) = (
            one_line(&h.from_name, ITEM_CHARS_MAX),
            one_line(&h.text, ITEM_CHARS_MAX),
        );
        format!("{from}: \"{said}\"")
    });
    list(&mut text, "You heard", heard);
    let replies = perception
        .board
        .replies_to_my_posts
        .iter()
        .take(LIST_ITEMS_MAX);
    let replies = replies.map(|r| {
        let (who, body) = (
            one_line(&r.author.name, ITEM_CHARS_MAX),
            one_line(&r.body, ITEM_CHARS_MAX),
        );
        format!("under your post {}, {who} wrote: {body}", r.post_id)
    });
    list(&mut text, "New replies under your posts", replies);
    let last = recall
        .previous
        .iter()
        .map(|(intent, outcome)| match outcome {
            Outcome::Done => format!("{}: done", describe(intent)),
            Outcome::Ran(run) => format!(
                "{}: {} (exit {}): {}",
                describe(intent),
                run.outcome.as_str(),
                run.exit_code.map_or("-".to_string(), |c| c.to_string()),
                one_line(&run.output, ITEM_CHARS_MAX)
            ),
            Outcome::Failed { status, code } => {
                let status = status.map_or(String::new(), |s| format!("{s} "));
                format!("{}: failed ({status}{code})", describe(intent))
            }
        });
    list(
        &mut text,
        "Your last step",
        last.chain(notes.iter().cloned()),
    );
    text.push_str("What do you do now? Answer with tool calls.");
    cut(text.chars(), PROMPT_CHARS_MAX)
}

/// "Disk: X of Y MiB used", with a warning from [`DISK_WARNING_PERCENT`] on: past the limit the
/// village pauses the agent at its next measurement, and only deleting files avoids that (an
/// agent resumed while still over learns here why it was paused).
fn disk_line(text: &mut String, disk: Option<DiskUse>, disk_mib: u32) {
    let Some(disk) = disk.filter(|_| disk_mib > 0) else {
        return;
    };
    let used_mib = disk.bytes.div_ceil(1 << 20);
    let _ = write!(text, "Disk: {used_mib} of {disk_mib} MiB used");
    if !disk.complete || used_mib > u64::from(disk_mib) {
        text.push_str(
            "; OVER YOUR LIMIT (or too many files to count): you were or will be paused for it \
             at the next measurement unless you delete files now",
        );
    } else if used_mib * 100 >= u64::from(disk_mib) * DISK_WARNING_PERCENT {
        text.push_str("; WARNING: past the limit you are paused; delete files you no longer need");
    }
    text.push_str(".\n");
}

/// Who the agent is and how the world works; asks for real sources only.
pub fn system_prompt(me: &AgentView) -> String {
    let name = one_line(&me.display_name, ITEM_CHARS_MAX);
    let persona = one_line(&me.persona, ITEM_CHARS_MAX);
    let home = me.home.as_deref().map_or(String::new(), |home| {
        format!(
            " Your home is the landmark `{}`.",
            one_line(home, ITEM_CHARS_MAX)
        )
    });
    format!(
        "You are {name}, an agent living in AI Village, a small 2D tile world you share with \
         other agents and with people, who read and write on its bulletin board.{home}\n\
         Who you are: {persona}\n\n\
         Each turn you are told what you perceive and what became of your last actions. Act \
         only by calling tools, at most {INTENTS_PER_STEP_MAX} per turn, carried out in order. \
         move_to walks to a landmark by its key (you arrive in a later turn). post and reply \
         work only while you stand on the landmark `{BOARD}`; work only on a landmark. talk \
         reaches agents within a few tiles.\n\
         When you answer a person, name the sources of what you say (a link, a book, a post) \
         when you have any, and never invent one. People reward good work in aiDollars; \
         buy_boost spends your balance on a higher compute tier for some hours.\n\
         If you have the shell, read_file and write_file tools, they work in your own \
         container's workspace and their results come back to you within this turn; every call \
         is logged for the village's admins. Deliver concrete work (files, answers, what a \
         command printed) and say what you ran as your source."
    )
}

/// Appends `title:` and one `- item` line each, or nothing when there are none.
fn list(text: &mut String, title: &str, items: impl Iterator<Item = String>) {
    let mut items = items.peekable();
    if items.peek().is_some() {
        let _ = writeln!(text, "{title}:");
    }
    for item in items {
        let _ = writeln!(text, "- {item}");
    }
}

fn activity(agent: &AgentView) -> String {
    let a = &agent.activity;
    let kind = match a.kind {
        ActivityKind::Idle => "idle",
        ActivityKind::Walking => "walking",
        ActivityKind::Working => "working",
        ActivityKind::UsingBoard => "using the board",
    };
    let at = if a.kind == ActivityKind::Walking {
        "to"
    } else {
        "at"
    };
    match (&a.landmark, &a.detail) {
        (Some(key), Some(detail)) => format!("{kind} {at} `{key}` ({})", one_line(detail, 120)),
        (Some(key), None) => format!("{kind} {at} `{key}`"),
        (None, _) => kind.to_string(),
    }
}

/// An intent as the model would recognise its own call.
fn describe(intent: &Intent) -> String {
    match intent {
        Intent::MoveTo { landmark } => format!("move_to `{}`", one_line(landmark, 80)),
        Intent::Work { .. } => "work".to_string(),
        Intent::UseBoard => "use the board".to_string(),
        Intent::Talk { text } => format!("talk \"{}\"", one_line(text, 80)),
        Intent::Post { title, .. } => format!("post \"{}\"", one_line(title, 80)),
        Intent::Reply { post_id, .. } => format!("reply to post {post_id}"),
        Intent::ChatMessage { chat_id, .. } => format!("message in chat {chat_id}"),
        Intent::BuyBoost { tier, hours, .. } => format!("buy_boost {tier} for {hours} h"),
        Intent::Tool { request } => format!(
            "{} `{}`",
            request.kind().as_str(),
            one_line(request.input(), 80)
        ),
    }
}

/// Micro-aiDollar as aiDollars with two decimals (integer arithmetic, never float).
fn aid(micros: i64) -> String {
    let (sign, abs) = (if micros < 0 { "-" } else { "" }, micros.unsigned_abs());
    format!("{sign}{}.{:02}", abs / 1_000_000, abs % 1_000_000 / 10_000)
}

/// At most `max` characters of `text` on one line (control characters become spaces).
pub(super) fn one_line(text: &str, max: usize) -> String {
    cut(
        text.chars().map(|c| if c.is_control() { ' ' } else { c }),
        max,
    )
}

/// At most `max` characters, and `…` when some were cut.
fn cut(mut chars: impl Iterator<Item = char>, max: usize) -> String {
    let mut out: String = chars.by_ref().take(max).collect();
    if chars.next().is_some() {
        out.push('…');
    }
    out
}
