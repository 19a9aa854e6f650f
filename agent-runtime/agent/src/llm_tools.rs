//! The LLM brain's tools: the agent's actions, and the container's tools (shell, files, HTTP
//! fetch) when it has them, offered to the model as OpenAI function tools
//! ([`tool_definitions`]); the model's tool calls read into [`Intent`]s and container tool
//! requests ([`read_tool_calls`]), a call that is unknown or has bad arguments refused with a code
//! ([`UNKNOWN_TOOL`], [`INVALID_ARGUMENTS`]) rather than failing the step. Bounded: at most
//! [`TOOL_CALLS_READ_MAX`] calls looked at, [`INTENTS_PER_STEP_MAX`] intents kept. Pure: it must
//! not do I/O, keep state, or rewrite the model's texts (an answer keeps whatever sources the
//! model wrote); it only reads, and the loop acts.

use serde_json::{Map, Value, json};
use shared::api::{Action, ActionFields};
use shared::{AgentId, Audience, PostId};

use super::brain::{DecideAct, INTENTS_PER_STEP_MAX, Intent};
use super::llm_tool_schemas as schemas;
use super::openai::{ChatCompletion, FunctionCall, FunctionDefinition, ToolCall, ToolDefinition};
use super::tools::ToolRequest;

/// Tool calls of one answer looked at; the rest are ignored unread.
pub const TOOL_CALLS_READ_MAX: usize = 8;
/// Refused tool calls remembered per answer, so a turn's acts stay within
/// [`DECIDE_ACTS_MAX`](super::brain::DECIDE_ACTS_MAX).
const REFUSED_ACTS_MAX: usize = 2;
/// The code of a tool call whose arguments cannot make an intent.
pub const INVALID_ARGUMENTS: &str = "invalid_arguments";
/// The code (and act kind `llm_tool`) of a call of a tool this agent does not have.
pub const UNKNOWN_TOOL: &str = "unknown_tool";

/// The action tools offered to the model, in order: name and what it does. Their parameters
/// are the API's own request schemas ([`tool_parameters`]); `talk`, `work` and `idle` are the
/// API's actions by the same names, and their calls are read through its `Action` type.
const TOOLS: [(&str, &str); 7] = [
    (
        "move_to",
        "Walk to a landmark, named by its key (e.g. `cafe`, `board`, your home).",
    ),
    ("talk", "Say one line to the agents within a few tiles."),
    (
        "work",
        "Work where you stand (you must stand on a landmark); say what you do.",
    ),
    (
        "post",
        "Write a post on the bulletin board for the village's people (stand on `board`); \
         give your sources, if any, in the body.",
    ),
    (
        "reply",
        "Answer in a board thread (stand on `board`); give your sources, if any.",
    ),
    (
        "buy_boost",
        "Buy a compute boost (a higher tier for some hours: worker, artisan or guild) from \
         your balance.",
    ),
    ("idle", "Do nothing this turn."),
];

/// The parameters of action tool `name`, from the API's request schemas. The agent asks more
/// than the API in one place: a `work` call must say what the work is.
fn tool_parameters(name: &str) -> Value {
    match name {
        "move_to" => schemas::move_to_landmark(),
        "post" => schemas::post(),
        "reply" => schemas::reply(),
        "buy_boost" => schemas::buy_boost(),
        action => {
            let mut schema = schemas::action(action).unwrap_or_else(|| json!({"type": "object"}));
            if schema["properties"].get("detail").is_some() {
                schema["properties"]["detail"]["type"] = json!("string");
                schema["required"] = json!(["detail"]);
            }
            schema
        }
    }
}

/// A parameter of a container tool: name, JSON type, description. All are required.
type Param = (&'static str, &'static str, &'static str);

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

/// An OpenAI function tool.
pub(super) fn function(
    name: &'static str,
    description: &'static str,
    parameters: Value,
) -> ToolDefinition {
    ToolDefinition {
        kind: "function",
        function: FunctionDefinition {
            name,
            description,
            parameters,
        },
    }
}

/// The tools offered to the model, as OpenAI function tools: the actions ([`TOOLS`]) and,
/// with `workspace`, the container's tools ([`WORKSPACE_TOOLS`]).
pub fn tool_definitions(workspace: bool) -> Vec<ToolDefinition> {
    let actions = TOOLS
        .iter()
        .map(|(name, about)| function(name, about, tool_parameters(name)));
    let container = if workspace {
        workspace_tool_definitions()
    } else {
        Vec::new()
    };
    actions.chain(container).collect()
}

/// The container's tools ([`WORKSPACE_TOOLS`]) as OpenAI function tools.
pub fn workspace_tool_definitions() -> Vec<ToolDefinition> {
    let container = |(name, description, params): &(&'static str, &'static str, &[Param])| {
        let mut properties = Map::new();
        for (param, kind, about) in *params {
            properties.insert(
                (*param).to_string(),
                json!({"type": kind, "description": about}),
            );
        }
        let required: Vec<&str> = params.iter().map(|p| p.0).collect();
        let parameters = json!({"type": "object", "properties": properties, "required": required});
        function(name, description, parameters)
    };
    WORKSPACE_TOOLS.iter().map(container).collect()
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
pub(super) fn arguments(call: &FunctionCall) -> Result<Value, &'static str> {
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
        action => return (name, read_action(action, &args)),
    };
    (name, intent.map(Some).ok_or(INVALID_ARGUMENTS))
}

/// A call of one of the API's actions, read through its `Action` type: the arguments the
/// action takes (others are ignored, as a model adds some), then the intent; `None` for
/// `idle`. A text that is blank once trimmed is refused here, as the server would.
fn read_action(name: &str, args: &Value) -> Result<Option<Intent>, &'static str> {
    let mut body = Map::from_iter([("action".to_string(), json!(name))]);
    let taken = schemas::action(name).unwrap_or_default();
    for key in taken["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|p| p.0)
    {
        if let Some(value) = args.get(key).filter(|v| !v.is_null()) {
            body.insert(key.clone(), value.clone());
        }
    }
    let fields: ActionFields =
        serde_json::from_value(Value::Object(body)).map_err(|_| INVALID_ARGUMENTS)?;
    let given = |text: String| Some(text).filter(|t| !t.trim().is_empty());
    match Action::try_from(fields).map_err(|_| INVALID_ARGUMENTS)? {
        Action::Talk { text } => given(text).map(|text| Some(Intent::Talk { text })),
        Action::Work { detail } => detail
            .and_then(given)
            .map(|detail| Some(Intent::Work { detail })),
        Action::UseBoard {} => Some(Some(Intent::UseBoard)),
        Action::Idle {} => Some(None),
    }
    .ok_or(INVALID_ARGUMENTS)
}

#[cfg(test)]
#[path = "llm_tools_tests.rs"]
mod tests;
