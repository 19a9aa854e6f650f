//! The model's tool calls read without a model: into intents in order with their texts
//! untouched, refused when unknown or malformed, and boosts given unique transfer ids.

#![allow(clippy::unwrap_used)]

use super::*;
use crate::agent::wire::{AssistantMessage, ChatChoice, ToolCall};

const ME: AgentId = AgentId(7);

fn call(name: &str, arguments: Value) -> ToolCall {
    ToolCall {
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
    let read = read_tool_calls(&answer(calls), ME, 3);
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
        ToolCall { function: None },
        call("idle", Value::Null),
        call("talk", json!({"text": "Still here."})),
    ];
    let read = read_tool_calls(&answer(calls), ME, 3);
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
    assert_eq!(read_tool_calls(&nothing, ME, 3), ToolCallsRead::default());
}

#[test]
fn boosts_get_a_transfer_id_unique_to_the_agent_step_and_call() {
    // Two purchases in one answer never share an id, so neither replays the other.
    let boost = || call("buy_boost", json!({"tier": "worker", "hours": 2}));
    let read = read_tool_calls(&answer(vec![boost(), boost()]), ME, 41);
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
