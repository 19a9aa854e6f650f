//! Tool calls for models that do not write them: small local models (Qwen2.5-Coder 0.5B/1.5B
//! on llama.cpp) never emit the markup their chat template asks for, so `tool_calls` comes back
//! empty. For an upstream marked `tool_calls = "json_schema"` the gateway asks instead for one
//! JSON object `{"name": ..., "arguments": {...}}` that must match one of the offered tools,
//! enforced by the upstream's schema-constrained decoding (`response_format`), and turns the
//! answer back into an OpenAI tool call. The tools stay in the request, so the chat template
//! still shows them to the model the way it was trained on. Pure JSON rewriting: no I/O, no
//! admission, no metering (those stay in `http::llm_routes` and `llm::meter`).

use serde_json::{Map, Value, json};

/// Most tools one request may offer a schema-constrained model: the schema, and the grammar the
/// upstream compiles from it, grow with each.
pub const SCHEMA_TOOLS_MAX: usize = 64;

/// Why a request cannot be rewritten; the message is for the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaToolsError {
    #[error(
        "`tools` must be a list of {{\"type\": \"function\", \"function\": {{\"name\": ...}}}} objects"
    )]
    BadTools,
    #[error("at most {SCHEMA_TOOLS_MAX} tools may be offered to this model")]
    TooManyTools,
    #[error("`tool_choice` names {0:?}, which is not among the tools offered")]
    UnknownChoice(String),
    #[error(
        "this model makes tool calls by constrained decoding: `response_format` and `stream` cannot be combined with `tools`"
    )]
    Conflict,
}

/// The tools a rewritten request offered, to read the answer back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferedTools {
    names: Vec<String>,
}

/// Rewrites `request` (an OpenAI chat completion body) for a schema-constrained upstream:
/// with tools offered and `tool_choice` not `"none"`, the answer must be exactly one call of
/// one of them (the named one, when `tool_choice` names one). `None`: nothing to rewrite.
pub fn constrain_to_tools(
    request: &mut Map<String, Value>,
) -> Result<Option<OfferedTools>, SchemaToolsError> {
    let Some(tools) = request.get("tools") else {
        return Ok(None);
    };
    let tools = tools.as_array().ok_or(SchemaToolsError::BadTools)?;
    let choice = request.get("tool_choice");
    if tools.is_empty() || choice.and_then(Value::as_str) == Some("none") {
        return Ok(None);
    }
    if tools.len() > SCHEMA_TOOLS_MAX {
        return Err(SchemaToolsError::TooManyTools);
    }
    if request.contains_key("response_format")
        || request.get("stream").and_then(Value::as_bool) == Some(true)
    {
        return Err(SchemaToolsError::Conflict);
    }
    let chosen = choice
        .and_then(|c| c.pointer("/function/name"))
        .and_then(Value::as_str);
    let mut names = Vec::with_capacity(tools.len());
    let mut variants = Vec::with_capacity(tools.len());
    for tool in tools {
        let function = tool.get("function").ok_or(SchemaToolsError::BadTools)?;
        let name = function
            .get("name")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
            .ok_or(SchemaToolsError::BadTools)?;
        if chosen.is_some_and(|c| c != name) {
            continue;
        }
        let parameters = function
            .get("parameters")
            .cloned()
            .unwrap_or_else(|| json!({"type": "object"}));
        variants.push(json!({
            "type": "object",
            "properties": {"name": {"const": name}, "arguments": parameters},
            "required": ["name", "arguments"],
            "additionalProperties": false,
        }));
        names.push(name.to_string());
    }
    if let Some(chosen) = chosen.filter(|_| names.is_empty()) {
        return Err(SchemaToolsError::UnknownChoice(chosen.to_string()));
    }
    debug_assert_eq!(names.len(), variants.len());
    // The upstream's own tool-call grammar would compete with ours.
    request.remove("tool_choice");
    request.remove("parallel_tool_calls");
    request.insert(
        "response_format".into(),
        json!({
            "type": "json_schema",
            "json_schema": {"name": "tool_call", "strict": true, "schema": {"anyOf": variants}},
        }),
    );
    Ok(Some(OfferedTools { names }))
}

/// Turns the answer's JSON content into a tool call (`call_id` names it) when it is one call of
/// an offered tool; leaves any other answer as the upstream wrote it (a completion cut off by
/// `max_tokens` is not valid JSON, and the caller sees the text and `finish_reason: length`).
pub fn read_tool_call(answer: &mut Value, offered: &OfferedTools, call_id: &str) -> bool {
    let Some(choice) = answer.pointer_mut("/choices/0") else {
        return false;
    };
    let content = choice
        .pointer("/message/content")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let Ok(Value::Object(call)) = serde_json::from_str::<Value>(content) else {
        return false;
    };
    let name = call.get("name").and_then(Value::as_str).unwrap_or_default();
    let arguments = call.get("arguments").filter(|a| a.is_object());
    let (true, Some(arguments)) = (offered.names.iter().any(|n| n == name), arguments) else {
        return false;
    };
    let tool_call = json!({
        "id": call_id,
        "type": "function",
        "function": {"name": name, "arguments": arguments.to_string()},
    });
    // `message` is an object here: its `content` was read above. Indexing cannot panic.
    choice["message"]["content"] = Value::Null;
    choice["message"]["tool_calls"] = json!([tool_call]);
    choice["finish_reason"] = json!("tool_calls");
    true
}

#[cfg(test)]
#[path = "schema_tool_calls_tests.rs"]
mod tests;
