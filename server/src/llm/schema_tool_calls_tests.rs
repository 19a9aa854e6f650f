use serde_json::{Map, Value, json};

use super::*;

fn request(extra: Value) -> Map<String, Value> {
    let mut body = json!({
        "model": "village-small",
        "messages": [{"role": "user", "content": "hi"}],
        "tools": [
            {"type": "function", "function": {"name": "shell", "description": "run",
             "parameters": {"type": "object", "properties": {"command": {"type": "string"}},
                            "required": ["command"]}}},
            {"type": "function", "function": {"name": "idle"}},
        ],
    });
    for (key, value) in extra.as_object().cloned().unwrap_or_default() {
        body[key] = value;
    }
    body.as_object().cloned().unwrap()
}

fn answer(content: &str) -> Value {
    json!({"choices": [{"index": 0, "finish_reason": "stop",
        "message": {"role": "assistant", "content": content}}]})
}

#[test]
fn offered_tools_become_one_schema_of_calls() {
    // Each tool becomes one variant {name: const, arguments: its parameters}; the upstream's
    // own tool choice is removed and the tools stay for the template.
    let mut body = request(json!({"tool_choice": "auto", "parallel_tool_calls": true}));
    let offered = constrain_to_tools(&mut body).unwrap().unwrap();
    assert_eq!(offered.names, ["shell", "idle"]);
    assert!(body.contains_key("tools"));
    assert!(!body.contains_key("tool_choice") && !body.contains_key("parallel_tool_calls"));
    let variants = &body["response_format"]["json_schema"]["schema"]["anyOf"];
    assert_eq!(variants[0]["properties"]["name"]["const"], "shell");
    assert_eq!(
        variants[0]["properties"]["arguments"]["required"],
        json!(["command"])
    );
    assert_eq!(
        variants[1]["properties"]["arguments"],
        json!({"type": "object"})
    );
}

#[test]
fn a_named_choice_narrows_the_schema_and_an_unknown_one_is_refused() {
    // tool_choice naming a function leaves only that variant; naming an absent one is an error.
    let mut body =
        request(json!({"tool_choice": {"type": "function", "function": {"name": "idle"}}}));
    let offered = constrain_to_tools(&mut body).unwrap().unwrap();
    assert_eq!(offered.names, ["idle"]);
    let mut body =
        request(json!({"tool_choice": {"type": "function", "function": {"name": "fly"}}}));
    assert_eq!(
        constrain_to_tools(&mut body),
        Err(SchemaToolsError::UnknownChoice("fly".into()))
    );
}

#[test]
fn requests_without_tools_or_with_none_are_left_alone() {
    // No tools, an empty list or tool_choice "none": the body is not touched.
    let mut plain = request(json!({}));
    plain.remove("tools");
    let before = plain.clone();
    assert_eq!(constrain_to_tools(&mut plain), Ok(None));
    assert_eq!(plain, before);
    let mut none = request(json!({"tool_choice": "none"}));
    let before = none.clone();
    assert_eq!(constrain_to_tools(&mut none), Ok(None));
    assert_eq!(none, before);
}

#[test]
fn malformed_or_conflicting_requests_are_refused() {
    // Tools without names, too many tools, a stream or an own response_format: clear errors.
    let mut body = request(json!({"tools": [{"type": "function", "function": {}}]}));
    assert_eq!(
        constrain_to_tools(&mut body),
        Err(SchemaToolsError::BadTools)
    );
    let mut body = request(json!({"tools": "shell"}));
    assert_eq!(
        constrain_to_tools(&mut body),
        Err(SchemaToolsError::BadTools)
    );
    let many: Vec<Value> = (0..=SCHEMA_TOOLS_MAX)
        .map(|i| json!({"type": "function", "function": {"name": format!("t{i}")}}))
        .collect();
    let mut body = request(json!({ "tools": many }));
    assert_eq!(
        constrain_to_tools(&mut body),
        Err(SchemaToolsError::TooManyTools)
    );
    let mut body = request(json!({"stream": true}));
    assert_eq!(
        constrain_to_tools(&mut body),
        Err(SchemaToolsError::Conflict)
    );
    let mut body = request(json!({"response_format": {"type": "json_object"}}));
    assert_eq!(
        constrain_to_tools(&mut body),
        Err(SchemaToolsError::Conflict)
    );
}

#[test]
fn a_json_call_of_an_offered_tool_becomes_a_tool_call() {
    // The model's JSON object turns into an OpenAI tool call with string arguments.
    let offered = OfferedTools {
        names: vec!["shell".into()],
    };
    let mut reply = answer(r#"{"name": "shell", "arguments": {"command": "wc -w f"}}"#);
    assert!(read_tool_call(&mut reply, &offered, "call_1"));
    let message = &reply["choices"][0]["message"];
    assert_eq!(message["content"], Value::Null);
    assert_eq!(reply["choices"][0]["finish_reason"], "tool_calls");
    let call = &message["tool_calls"][0];
    assert_eq!(call["id"], "call_1");
    assert_eq!(call["function"]["name"], "shell");
    let arguments: Value =
        serde_json::from_str(call["function"]["arguments"].as_str().unwrap()).unwrap();
    assert_eq!(arguments, json!({"command": "wc -w f"}));
}

#[test]
fn other_answers_are_left_as_written() {
    // Cut-off JSON, an unknown tool, arguments that are not an object, or no choices: unchanged.
    let offered = OfferedTools {
        names: vec!["shell".into()],
    };
    for content in [
        r#"{"name": "shell", "argu"#,
        r#"{"name": "fly", "arguments": {}}"#,
        r#"{"name": "shell", "arguments": "ls"}"#,
        "just words",
        "",
    ] {
        let mut reply = answer(content);
        let before = reply.clone();
        assert!(!read_tool_call(&mut reply, &offered, "c"), "{content}");
        assert_eq!(reply, before);
    }
    let mut empty = json!({"choices": []});
    assert!(!read_tool_call(&mut empty, &offered, "c"));
}
