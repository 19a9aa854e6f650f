//! The model's tool calls read without a model: into intents in order with their texts
//! untouched, refused when unknown or malformed, and boosts given unique transfer ids.

#![allow(clippy::unwrap_used)]

use super::*;
use crate::openai::{AssistantMessage, ChatChoice, ToolCall};

const ME: AgentId = AgentId(7);

fn call(name: &str, arguments: Value) -> ToolCall {
    ToolCall {
        id: Some(format!("id-{name}")),
        function: Some(FunctionCall {
            name: name.into(),
            arguments,
        }),
    }
}

fn answer(calls: Vec<ToolCall>) -> ChatCompletion {
    ChatCompletion {
        choices: vec![ChatChoice {
            message: AssistantMessage {
                content: None,
                tool_calls: Some(calls),
            },
        }],
    }
}

const SOURCED: &str = "The 1612 map is oldest. Sources: https://example.org/maps, post 9.";

#[test]
fn tool_calls_become_intents_in_order_with_their_texts_untouched() {
    // JSON-text and object arguments both read, ids as numbers or digits, the model's sources
    // kept verbatim, and no more intents than a step carries.
    let calls = vec![
        call("move_to", json!("{\"landmark\": \"cafe\"}")),
        call(
            "post",
            json!({"title": "Maps?", "body": SOURCED, "tags": ["maps"]}),
        ),
        call("reply", json!({"post_id": "12", "body": SOURCED})),
        call("talk", json!({"text": "Hello!"})),
        call("work", json!({"detail": "sorting maps"})),
    ];
    let read = read_tool_calls(&answer(calls), ME, 3, false);
    assert_eq!(
        read.intents,
        vec![
            Intent::MoveTo {
                landmark: "cafe".into()
            },
            Intent::Post {
                title: "Maps?".into(),
                body: SOURCED.into(),
                tags: vec!["maps".into()],
                audience: Audience::Humans,
            },
            Intent::Reply {
                post_id: PostId(12),
                body: SOURCED.into(),
            },
            Intent::Talk {
                text: "Hello!".into()
            },
        ]
    );
    assert!(read.refused.is_empty());
    assert_eq!(read.called, 5);
}

#[test]
fn unknown_tools_and_bad_arguments_are_refused_not_fatal() {
    // Each bad call is dropped; the first two are remembered as failed acts; idle is nothing.
    let calls = vec![
        call("fly", json!({})),
        call("move_to", json!("{not json")),
        call("reply", json!({"post_id": 12})),
        call("buy_boost", json!({"tier": "worker", "hours": 0})),
        ToolCall {
            id: None,
            function: None,
        },
        call("idle", Value::Null),
        call("talk", json!({"text": "Still here."})),
    ];
    let read = read_tool_calls(&answer(calls), ME, 3, false);
    assert_eq!(
        read.intents,
        vec![Intent::Talk {
            text: "Still here.".into()
        }]
    );
    let refused = |kind, code: &str| DecideAct {
        kind,
        error: Some(code.to_string()),
    };
    assert_eq!(
        read.refused,
        vec![
            refused("llm_tool", UNKNOWN_TOOL),
            refused("move_to", INVALID_ARGUMENTS)
        ]
    );
    let nothing = ChatCompletion { choices: vec![] };
    assert_eq!(
        read_tool_calls(&nothing, ME, 3, false),
        ToolCallsRead::default()
    );
}

#[test]
fn boosts_get_a_transfer_id_unique_to_the_agent_step_and_call() {
    // Two purchases in one answer never share an id, so neither replays the other.
    let boost = || call("buy_boost", json!({"tier": "worker", "hours": 2}));
    let read = read_tool_calls(&answer(vec![boost(), boost()]), ME, 41, false);
    let ids: Vec<&str> = read
        .intents
        .iter()
        .map(|i| match i {
            Intent::BuyBoost { transfer_id, .. } => transfer_id.as_str(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(ids, ["boost-llm-a7-s41-0", "boost-llm-a7-s41-1"]);
}

#[test]
fn container_tools_are_read_only_when_offered() {
    // Offered, shell and file calls become requests with the model's call ids, a bad one is
    // refused under its own name, and the echo keeps every call with its id; not offered,
    // the same calls are unknown tools.
    let calls = vec![
        call("shell", json!({"command": "uname -a"})),
        call(
            "write_file",
            json!("{\"path\": \"a.md\", \"content\": \"\"}"),
        ),
        call("read_file", json!({})),
        call("move_to", json!({"landmark": "cafe"})),
    ];
    let completion = answer(calls);
    let read = read_tool_calls(&completion, ME, 3, true);
    assert_eq!(
        read.workspace,
        vec![
            WorkspaceCall {
                id: "id-shell".into(),
                request: ToolRequest::Shell {
                    command: "uname -a".into()
                },
            },
            WorkspaceCall {
                id: "id-write_file".into(),
                request: ToolRequest::WriteFile {
                    path: "a.md".into(),
                    content: String::new()
                },
            },
        ]
    );
    assert_eq!(
        read.refused,
        vec![DecideAct {
            kind: "read_file",
            error: Some(INVALID_ARGUMENTS.into())
        }]
    );
    assert_eq!(read.intents.len(), 1);
    let echoed = echo_tool_calls(&completion);
    assert_eq!(echoed.len(), 4);
    assert_eq!(echoed[0]["id"], "id-shell");
    assert_eq!(
        echoed[0]["function"]["arguments"],
        "{\"command\":\"uname -a\"}"
    );

    let not_offered = read_tool_calls(&completion, ME, 3, false);
    assert!(not_offered.workspace.is_empty());
    assert_eq!(not_offered.refused[0].error.as_deref(), Some(UNKNOWN_TOOL));
    let names =
        |defs: Vec<ToolDefinition>| defs.iter().map(|d| d.function.name).collect::<Vec<_>>();
    assert!(names(tool_definitions(true)).contains(&"shell"));
    assert!(!names(tool_definitions(false)).contains(&"shell"));
}
