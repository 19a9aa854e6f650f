//! The field limits the OpenAPI document states are the ones the server enforces: each schema
//! keyword is compared with the constant or the setting's default it documents (the schema
//! attributes take literals, so this is what keeps the two together).

use serde_json::Value;
use shared::tool_call::{
    TOOL_CALL_ID_CHARS_MAX, TOOL_CWD_CHARS_MAX, TOOL_DURATION_MS_MAX, TOOL_INPUT_CHARS_MAX,
    TOOL_OUTPUT_CHARS_MAX,
};
use village_server::auth::password::{PASSWORD_CHARS_MAX, PASSWORD_CHARS_MIN};
use village_server::config::Settings;
use village_server::http::admin_accounts::AUDIT_PAGE_MAX;
use village_server::http::admin_agents::{DISPLAY_NAME_CHARS_MAX, PERSONA_CHARS_MAX};
use village_server::http::auth_routes::{USERNAME_CHARS_MAX, USERNAME_CHARS_MIN};
use village_server::http::chat_routes::CHAT_TITLE_CHARS_MAX;
use village_server::http::economy_routes::{TRANSFER_ID_CHARS_MAX, TXN_ID_CHARS_MAX};
use village_server::http::moderation_routes::{DECISIONS_PAGE_MAX, MODERATION_REASON_CHARS_MAX};
use village_server::http::tool_call_routes::TOOL_CALL_PAGE_MAX;
use village_server::kill_switch::REASON_CHARS_MAX;
use village_server::runtime_reports::{REPORT_FIELD_CHARS_MAX, REPORTS_PER_CALL_MAX};

/// No control character (`char::is_control`: U+0000–001F, U+007F–009F): one-line texts.
const LINE: &str = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$";
/// No control character but newline and tab: bodies of posts, replies and chat messages.
const BODY: &str = "^[^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F]*$";
/// No NUL: what an agent reports of a tool call.
const NO_NUL: &str = "^[^\\u0000]*$";

fn document() -> Value {
    let (_, openapi) = village_server::http::api_routes();
    serde_json::to_value(&openapi).unwrap()
}

/// `keyword` of `property` of the component schema `schema`, or of the first of its `oneOf`
/// variants (an enum body such as `Action`) that has the property.
fn keyword<'a>(doc: &'a Value, schema: &str, property: &str, keyword: &str) -> &'a Value {
    let schema_of = &doc["components"]["schemas"][schema];
    let variants = schema_of["oneOf"].as_array().into_iter().flatten();
    let found = std::iter::once(schema_of)
        .chain(variants)
        .map(|s| &s["properties"][property][keyword])
        .find(|k| !k.is_null())
        .unwrap_or(&Value::Null);
    assert!(!found.is_null(), "{schema}.{property} has no {keyword}");
    found
}

/// `keyword` of the schema of the query parameter `name` of `GET path`.
fn query_keyword<'a>(doc: &'a Value, path: &str, name: &str, keyword: &str) -> &'a Value {
    let parameters = doc["paths"][path]["get"]["parameters"].as_array().unwrap();
    let parameter = parameters
        .iter()
        .find(|p| p["name"] == name && p["in"] == "query")
        .unwrap_or_else(|| panic!("GET {path} has no query parameter {name}"));
    let found = &parameter["schema"][keyword];
    assert!(!found.is_null(), "GET {path} ?{name} has no {keyword}");
    found
}

fn n(value: impl TryInto<u64>) -> Value {
    Value::from(value.try_into().ok().unwrap())
}

#[test]
fn lengths_and_ranges_in_the_schemas_are_the_servers() {
    // Every documented limit equals the constant, or the default of the setting, the server
    // checks; texts carry the alphabet the server allows.
    let doc = document();
    let defaults = Settings::default();
    let (board, economy, world) = (&defaults.board, &defaults.economy, &defaults.limits);
    // (schema, property, minLength (0: none), maxLength, pattern ("": none))
    #[rustfmt::skip]
    let texts: [(&str, &str, usize, usize, &str); 28] = [
        ("Credentials", "username", USERNAME_CHARS_MIN, USERNAME_CHARS_MAX, ""),
        ("Credentials", "password", PASSWORD_CHARS_MIN, PASSWORD_CHARS_MAX, ""),
        ("CreateAccountRequest", "username", USERNAME_CHARS_MIN, USERNAME_CHARS_MAX, ""),
        ("CreateAccountRequest", "password", PASSWORD_CHARS_MIN, PASSWORD_CHARS_MAX, ""),
        ("CreateAgentRequest", "display_name", 1, DISPLAY_NAME_CHARS_MAX, LINE),
        ("CreateAgentRequest", "persona", 0, PERSONA_CHARS_MAX, LINE),
        ("ControlRequest", "reason", 1, REASON_CHARS_MAX, LINE),
        ("Action", "text", 1, world.speech_chars_max, LINE),
        ("Action", "detail", 1, world.activity_detail_chars_max, LINE),
        ("CreatePostRequest", "title", 1, board.board_title_chars_max, LINE),
        ("CreatePostRequest", "body", 1, board.board_body_chars_max, BODY),
        ("CreateReplyRequest", "body", 1, board.board_reply_chars_max, BODY),
        ("OpenChatRequest", "title", 1, CHAT_TITLE_CHARS_MAX, LINE),
        ("OpenChatRequest", "body", 1, board.chat_message_chars_max, BODY),
        ("ChatMessageRequest", "body", 1, board.chat_message_chars_max, BODY),
        ("ModerateRequest", "reason", 1, MODERATION_REASON_CHARS_MAX, LINE),
        ("ModerateReplyRequest", "reason", 1, MODERATION_REASON_CHARS_MAX, LINE),
        ("FeedbackRequest", "transfer_id", 1, TRANSFER_ID_CHARS_MAX, ""),
        ("FeedbackRequest", "reason", 1, economy.memo_chars_max, LINE),
        ("DepositRequest", "paypal_txn_id", 1, TXN_ID_CHARS_MAX, ""),
        ("DepositRequest", "memo", 0, economy.memo_chars_max, LINE),
        ("PurchaseRequest", "transfer_id", 1, TRANSFER_ID_CHARS_MAX, ""),
        ("ToolCallReport", "call_id", 1, TOOL_CALL_ID_CHARS_MAX, ""),
        ("ToolCallReport", "input", 1, TOOL_INPUT_CHARS_MAX, NO_NUL),
        ("ToolCallReport", "cwd", 0, TOOL_CWD_CHARS_MAX, NO_NUL),
        ("ToolCallReport", "output", 0, TOOL_OUTPUT_CHARS_MAX, NO_NUL),
        ("ContainerReport", "node", 0, REPORT_FIELD_CHARS_MAX, ""),
        ("ContainerReport", "state", 0, REPORT_FIELD_CHARS_MAX, ""),
    ];
    for (schema, property, min, max, pattern) in texts {
        let at = format!("{schema}.{property}");
        assert_eq!(
            keyword(&doc, schema, property, "maxLength"),
            &n(max),
            "{at}"
        );
        if min > 0 {
            assert_eq!(
                keyword(&doc, schema, property, "minLength"),
                &n(min),
                "{at}"
            );
        }
        if !pattern.is_empty() {
            assert_eq!(keyword(&doc, schema, property, "pattern"), pattern, "{at}");
        }
    }
    // A pattern's length agrees with maxLength, where an id has one.
    for (schema, property, max) in [
        ("Credentials", "username", USERNAME_CHARS_MAX),
        ("FeedbackRequest", "transfer_id", TRANSFER_ID_CHARS_MAX),
        ("DepositRequest", "paypal_txn_id", TXN_ID_CHARS_MAX),
        ("ToolCallReport", "call_id", TOOL_CALL_ID_CHARS_MAX),
    ] {
        let pattern = keyword(&doc, schema, property, "pattern").as_str().unwrap();
        assert!(
            pattern.ends_with(&format!(",{max}}}$")),
            "{schema}.{property}: {pattern}"
        );
    }
    let tag = &doc["components"]["schemas"]["TagText"];
    assert_eq!(tag["maxLength"], n(board.board_tag_chars_max));
    assert_eq!(tag["pattern"], LINE);
    assert_eq!(
        keyword(&doc, "CreatePostRequest", "tags", "maxItems"),
        &n(board.board_tags_max)
    );
    assert_eq!(
        keyword(&doc, "ContainerReports", "reports", "maxItems"),
        &n(REPORTS_PER_CALL_MAX)
    );

    let ranges: Vec<(&str, &str, Value, Value)> = vec![
        // (schema, property, minimum, maximum)
        (
            "FeedbackRequest",
            "amount_micros",
            n(1),
            n(economy.transfer_micros_max),
        ),
        (
            "DepositRequest",
            "amount_micros",
            n(1),
            n(economy.transfer_micros_max),
        ),
        ("PurchaseRequest", "hours", n(1), n(economy.boost_hours_max)),
    ];
    for (schema, property, min, max) in ranges {
        assert_eq!(
            keyword(&doc, schema, property, "minimum"),
            &min,
            "{schema}.{property}"
        );
        assert_eq!(
            keyword(&doc, schema, property, "maximum"),
            &max,
            "{schema}.{property}"
        );
    }
    assert_eq!(
        keyword(&doc, "ToolCallReport", "duration_ms", "maximum"),
        &n(TOOL_DURATION_MS_MAX)
    );

    let pages: [(&str, u32); 5] = [
        ("/admin/audit", AUDIT_PAGE_MAX),
        ("/board/posts", board.board_page_size_max),
        ("/agents/{id}/tool-calls", TOOL_CALL_PAGE_MAX),
        ("/economy/ledger/{agent_id}", economy.ledger_page_size_max),
        ("/moderation/decisions", DECISIONS_PAGE_MAX),
    ];
    for (path, max) in pages {
        assert_eq!(
            query_keyword(&doc, path, "limit", "minimum"),
            &n(1),
            "{path}"
        );
        assert_eq!(
            query_keyword(&doc, path, "limit", "maximum"),
            &n(max),
            "{path}"
        );
    }
    assert_eq!(
        query_keyword(&doc, "/agents/{id}/perception", "radius", "maximum"),
        &n(world.perception_radius_max)
    );
}

#[test]
fn the_shared_error_answers_name_the_default_limits() {
    // The 408, 413 and 414 every route shares state the defaults of their settings.
    let doc = document();
    let http = Settings::default().http;
    let llm = Settings::default().llm;
    let responses = &doc["components"]["responses"];
    for (name, default) in [
        ("RequestTimeout", http.request_timeout_ms as usize),
        ("BodyTooLarge", http.body_bytes_max),
        ("UriTooLong", http.uri_bytes_max),
    ] {
        let description = responses[name]["description"].as_str().unwrap();
        assert!(
            description.contains(&format!("default {default};")),
            "{name}: {description}"
        );
    }
    let gateway = doc["paths"]["/v1/chat/completions"]["post"]["responses"]["413"]["description"]
        .as_str()
        .unwrap();
    assert!(
        gateway.contains(&format!("default {};", llm.request_bytes_max)),
        "{gateway}"
    );
}
