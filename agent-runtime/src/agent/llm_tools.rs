//! The LLM brain's tools: the agent's actions, and the container's tools (shell, files, HTTP
//! fetch) when it has them, offered to the model as OpenAI function tools
//! ([`tool_definitions`]); the model's tool calls read into [`Intent`]s and container tool
//! requests ([`read_tool_calls`]), a call that is unknown or has bad arguments refused with a code
//! ([`UNKNOWN_TOOL`], [`INVALID_ARGUMENTS`]) rather than failing the step. Bounded: at most
//! [`TOOL_CALLS_READ_MAX`] calls looked at, [`INTENTS_PER_STEP_MAX`] intents kept. Pure: it must
//! not do I/O, keep state, or rewrite the model's texts (an answer keeps whatever sources the
//! model wrote); it only reads, and the loop acts.

use serde_json::{Map, Value, json};
use shared::{AgentId, Audience, PostId};

use super::brain::{DecideAct, INTENTS_PER_STEP_MAX, Intent};
use super::tools::ToolRequest;
use super::wire::{ChatCompletion, FunctionCall, FunctionDefinition, ToolCall, ToolDefinition};

/// Tool calls of one answer looked at; the rest are ignored unread.
pub const TOOL_CALLS_READ_MAX: usize = 8;
/// Refused tool calls remembered per answer, so a turn's acts stay within
/// [`DECIDE_ACTS_MAX`](super::brain::DECIDE_ACTS_MAX).
const REFUSED_ACTS_MAX: usize = 2;
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

/// The tools that work in the agent's container, offered when it has a toolbox: each call is
/// run, recorded in the server's audit, and its result given back to the model in the same
/// turn (the actions above are carried out after the turn).
const WORKSPACE_TOOLS: [(&str, &str, &[Param]); 4] = [
    (
        "shell",
        "Run a shell command as root in your workspace (your own container; no network). \
         Its output comes back to you. Every command is logged for the village's admins.",
        &[("command", "string", "One shell command line.")],
    ),
    (
        "read_file",
        "Read a file of your workspace; its text comes back to you.",
        &[("path", "string", "A path relative to your workspace.")],
    ),
    (
        "write_file",
        "Write a whole file in your workspace (folders are made).",
        &[
            ("path", "string", "A path relative to your workspace."),
            ("content", "string", "The file's text, at most 256 KiB."),
        ],
    ),
    (
        "http_fetch",
        "Fetch a web page (only when your tier allows egress).",
        &[("url", "string", "An http:// or https:// URL.")],
    ),
];

/// The tools offered to the model, as OpenAI function tools: the actions ([`TOOLS`]) and,
/// with `workspace`, the container's tools ([`WORKSPACE_TOOLS`]).
pub fn tool_definitions(workspace: bool) -> Vec<ToolDefinition> {
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
    let offered = if workspace { &WORKSPACE_TOOLS[..] } else { &[] };
    TOOLS.iter().chain(offered).map(tool).collect()
}

/// A call of a container tool the model made: its id in the conversation and the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceCall {
    pub id: String,
    pub request: ToolRequest,
}

/// The id of tool call `index` of an answer: the model's, or one made up when it gave none.
fn call_id(call: &ToolCall, index: usize) -> String {
    call.id
        .clone()
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| format!("call-{index}"))
}

/// The answer's tool calls (at most [`TOOL_CALLS_READ_MAX`]) as the `tool_calls` of the
/// assistant message sent back with their results, ids as [`read_tool_calls`] gives them.
pub fn echo_tool_calls(completion: &ChatCompletion) -> Vec<Value> {
    let calls = completion
        .choices
        .first()
        .and_then(|c| c.message.tool_calls.as_deref())
        .unwrap_or_default();
    calls
        .iter()
        .take(TOOL_CALLS_READ_MAX)
        .enumerate()
        .filter_map(|(index, call)| {
            let function = call.function.as_ref()?;
            let arguments = match &function.arguments {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            Some(json!({"id": call_id(call, index), "type": "function",
                        "function": {"name": function.name, "arguments": arguments}}))
        })
        .collect()
}

/// The model's tool calls read: the intents (at most [`INTENTS_PER_STEP_MAX`]) and the calls
/// refused (at most two).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ToolCallsRead {
    pub intents: Vec<Intent>,
    pub refused: Vec<DecideAct>,
    /// Calls of the container's tools, to run this turn (only when they were offered).
    pub workspace: Vec<WorkspaceCall>,
    /// Tool calls in the answer (read or not).
    pub called: usize,
}

/// Reads `choices[0].message.tool_calls` of an answer at step `step`; calls of the container's
/// tools are read only when `workspace` (they were offered).
pub fn read_tool_calls(
    completion: &ChatCompletion,
    me: AgentId,
    step: u64,
    workspace: bool,
) -> ToolCallsRead {
    let first = completion.choices.first();
    let calls = first
        .and_then(|c| c.message.tool_calls.as_deref())
        .unwrap_or_default();
    let mut read = ToolCallsRead {
        called: calls.len(),
        ..ToolCallsRead::default()
    };
    for (index, call) in calls.iter().take(TOOL_CALLS_READ_MAX).enumerate() {
        let offered =
            |f: &&FunctionCall| workspace && WORKSPACE_TOOLS.iter().any(|t| t.0 == f.name);
        if let Some(function) = call.function.as_ref().filter(offered) {
            match read_workspace_call(function) {
                Ok(request) => read.workspace.push(WorkspaceCall {
                    id: call_id(call, index),
                    request,
                }),
                Err(code) if read.refused.len() < REFUSED_ACTS_MAX => {
                    read.refused.push(DecideAct {
                        kind: workspace_kind(&function.name),
                        error: Some(code.to_string()),
                    });
                }
                Err(_) => {}
            }
            continue;
        }
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

/// The act kind of a container tool's name.
fn workspace_kind(name: &str) -> &'static str {
    WORKSPACE_TOOLS
        .iter()
        .map(|t| t.0)
        .find(|n| *n == name)
        .unwrap_or("llm_tool")
}

/// The arguments of a call, as an object (from a JSON text or an object).
fn arguments(call: &FunctionCall) -> Result<Value, &'static str> {
    match &call.arguments {
        Value::Null => Ok(Value::Object(Map::new())),
        Value::String(text) if text.trim().is_empty() => Ok(Value::Object(Map::new())),
        Value::String(text) => serde_json::from_str(text).map_err(|_| INVALID_ARGUMENTS),
        other => Ok(other.clone()),
    }
}

/// A call of a container tool read into its request. Texts are taken as the model wrote them
/// (a file's content may be empty; a command, path or URL may not).
fn read_workspace_call(call: &FunctionCall) -> Result<ToolRequest, &'static str> {
    let args = arguments(call)?;
    let text = |key: &str| args.get(key).and_then(Value::as_str).map(str::to_string);
    let given = |key: &str| text(key).filter(|t| !t.trim().is_empty());
    let request = match call.name.as_str() {
        "shell" => given("command").map(|command| ToolRequest::Shell { command }),
        "read_file" => given("path").map(|path| ToolRequest::ReadFile { path }),
        "write_file" => given("path")
            .zip(text("content"))
            .map(|(path, content)| ToolRequest::WriteFile { path, content }),
        "http_fetch" => given("url").map(|url| ToolRequest::HttpFetch { url }),
        _ => None,
    };
    request.ok_or(INVALID_ARGUMENTS)
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
    let args = match arguments(call) {
        Ok(args) => args,
        Err(code) => return (name, Err(code)),
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
