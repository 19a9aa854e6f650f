//! The LLM brain's tools: the agent's actions offered to the model as OpenAI function tools
//! ([`tool_definitions`]), and the model's tool calls read into [`Intent`]s
//! ([`read_tool_calls`]), a call that is unknown or has bad arguments refused with a code
//! ([`UNKNOWN_TOOL`], [`INVALID_ARGUMENTS`]) rather than failing the step. Bounded: at most
//! [`TOOL_CALLS_READ_MAX`] calls looked at, [`INTENTS_PER_STEP_MAX`] intents kept. Pure: it must
//! not do I/O, keep state, or rewrite the model's texts (an answer keeps whatever sources the
//! model wrote); it only reads, and the loop acts.

use serde_json::{Map, Value, json};
use shared::{AgentId, Audience, PostId};

use super::brain::{DECIDE_ACTS_MAX, DecideAct, INTENTS_PER_STEP_MAX, Intent};
use super::wire::{ChatCompletion, FunctionCall, FunctionDefinition, ToolDefinition};

/// Tool calls of one answer looked at; the rest are ignored unread.
pub const TOOL_CALLS_READ_MAX: usize = 8;
/// Refused tool calls remembered per step (the `llm` act takes the other [`DECIDE_ACTS_MAX`]).
const REFUSED_ACTS_MAX: usize = DECIDE_ACTS_MAX - 1;
/// The code of a tool call whose arguments cannot make an intent.
pub const INVALID_ARGUMENTS: &str = "invalid_arguments";
/// The code (and act kind `llm_tool`) of a call of a tool this agent does not have.
pub const UNKNOWN_TOOL: &str = "unknown_tool";

/// A parameter of a tool: name, JSON type, description. All are required but `tags`.
type Param = (&'static str, &'static str, &'static str);
/// The tools offered to the model, in order: name, what it does, its parameters.
const TOOLS: [(&str, &str, &[Param]); 7] = [
    (
        "move_to",
        "Walk to a landmark, named by its key (e.g. `cafe`, `board`, your home).",
        &[("landmark", "string", "The landmark's key.")],
    ),
    (
        "talk",
        "Say one line to the agents within a few tiles.",
        &[("text", "string", "What you say, at most 280 characters.")],
    ),
    (
        "work",
        "Work where you stand (you must stand on a landmark).",
        &[("detail", "string", "What you do, at most 120 characters.")],
    ),
    (
        "post",
        "Write a post on the bulletin board for the village's people (stand on `board`).",
        &[
            ("title", "string", "At most 120 characters."),
            (
                "body",
                "string",
                "At most 4000 characters; your sources, if any.",
            ),
            ("tags", "array", "Up to 5 short tags."),
        ],
    ),
    (
        "reply",
        "Answer in a board thread (stand on `board`).",
        &[
            ("post_id", "integer", "The post's number."),
            (
                "body",
                "string",
                "At most 2000 characters; your sources, if any.",
            ),
        ],
    ),
    (
        "buy_boost",
        "Buy a compute boost (a higher tier for some hours) from your balance.",
        &[
            ("tier", "string", "worker, artisan or guild."),
            ("hours", "integer", "How many hours, at least 1."),
        ],
    ),
    ("idle", "Do nothing this turn.", &[]),
];

/// The tools offered to the model, as OpenAI function tools (from [`TOOLS`]).
pub fn tool_definitions() -> Vec<ToolDefinition> {
    let tool = |(name, description, params): &(&'static str, &'static str, &[Param])| {
        let mut properties = Map::new();
        for (param, kind, about) in *params {
            let mut schema = json!({"type": kind, "description": about});
            if *kind == "array" {
                schema["items"] = json!({"type": "string"});
            }
            properties.insert((*param).to_string(), schema);
        }
        let required: Vec<&str> = params
            .iter()
            .map(|p| p.0)
            .filter(|p| *p != "tags")
            .collect();
        let parameters = json!({"type": "object", "properties": properties, "required": required});
        let function = FunctionDefinition {
            name,
            description,
            parameters,
        };
        ToolDefinition {
            kind: "function",
            function,
        }
    };
    TOOLS.iter().map(tool).collect()
}

/// The model's tool calls read: the intents (at most [`INTENTS_PER_STEP_MAX`]) and the calls
/// refused (at most [`DECIDE_ACTS_MAX`] − 1).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ToolCallsRead {
    pub intents: Vec<Intent>,
    pub refused: Vec<DecideAct>,
    /// Tool calls in the answer (read or not).
    pub called: usize,
}

/// Reads `choices[0].message.tool_calls` of an answer at step `step`.
pub fn read_tool_calls(completion: &ChatCompletion, me: AgentId, step: u64) -> ToolCallsRead {
    let first = completion.choices.first();
    let calls = first
        .and_then(|c| c.message.tool_calls.as_deref())
        .unwrap_or_default();
    let mut read = ToolCallsRead {
        called: calls.len(),
        ..ToolCallsRead::default()
    };
    for (index, call) in calls.iter().take(TOOL_CALLS_READ_MAX).enumerate() {
        let (kind, result) = match &call.function {
            Some(function) => read_call(function, me, step, index),
            None => ("llm_tool", Err(UNKNOWN_TOOL)),
        };
        match result {
            Ok(Some(intent)) if read.intents.len() < INTENTS_PER_STEP_MAX => {
                read.intents.push(intent);
            }
            // `idle`, or past the step's intents.
            Ok(_) => {}
            Err(code) => {
                tracing::debug!(
                    step,
                    tool = kind,
                    code,
                    "a tool call of the model was refused"
                );
                if read.refused.len() < REFUSED_ACTS_MAX {
                    read.refused.push(DecideAct {
                        kind,
                        error: Some(code.to_string()),
                    });
                }
            }
        }
    }
    read
}

/// One call: the tool's name (or `llm_tool`) and its intent (`None` for `idle`), or the code
/// of why it cannot be used. Texts are taken as the model wrote them.
fn read_call(
    call: &FunctionCall,
    me: AgentId,
    step: u64,
    index: usize,
) -> (&'static str, Result<Option<Intent>, &'static str>) {
    let Some(name) = TOOLS.iter().map(|t| t.0).find(|n| *n == call.name) else {
        return ("llm_tool", Err(UNKNOWN_TOOL));
    };
    let args = match &call.arguments {
        Value::Null => Value::Object(Map::new()),
        Value::String(text) if text.trim().is_empty() => Value::Object(Map::new()),
        Value::String(text) => match serde_json::from_str(text) {
            Ok(args) => args,
            Err(_) => return (name, Err(INVALID_ARGUMENTS)),
        },
        other => other.clone(),
    };
    let text = |key: &str| {
        let text = args.get(key).and_then(Value::as_str);
        text.filter(|t| !t.trim().is_empty()).map(str::to_string)
    };
    let number = |key: &str| match args.get(key) {
        Some(Value::String(digits)) => digits.trim().parse::<u64>().ok(),
        other => other.and_then(Value::as_u64),
    };
    let tags = match args.get("tags") {
        None | Some(Value::Null) => Some(Vec::new()),
        Some(Value::Array(tags)) => tags
            .iter()
            .map(|t| t.as_str().map(str::to_string))
            .collect(),
        Some(_) => None,
    };
    let hours = number("hours")
        .and_then(|h| u32::try_from(h).ok())
        .filter(|h| *h > 0);
    let intent = match name {
        "move_to" => text("landmark").map(|key| Intent::MoveTo {
            landmark: key.trim().to_string(),
        }),
        "talk" => text("text").map(|text| Intent::Talk { text }),
        "work" => text("detail").map(|detail| Intent::Work { detail }),
        "post" => match (text("title"), text("body"), tags) {
            (Some(title), Some(body), Some(tags)) => Some(Intent::Post {
                title,
                body,
                tags,
                audience: Audience::Humans,
            }),
            _ => None,
        },
        "reply" => number("post_id")
            .zip(text("body"))
            .map(|(post, body)| Intent::Reply {
                post_id: PostId(post),
                body,
            }),
        "buy_boost" => text("tier")
            .zip(hours)
            .map(|(tier, hours)| Intent::BuyBoost {
                // Unique per agent, step and call; the step count survives restarts.
                transfer_id: format!("boost-llm-a{me}-s{step}-{index}"),
                tier: tier.trim().to_string(),
                hours,
            }),
        _ => return (name, Ok(None)),
    };
    (name, intent.map(Some).ok_or(INVALID_ARGUMENTS))
}

#[cfg(test)]
#[path = "llm_tools_tests.rs"]
mod tests;
