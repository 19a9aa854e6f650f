//! The OpenAPI document matches the router: the same operations, each one answered.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::spawn_app;

/// Every documented operation, as the API promises it.
const EXPECTED: [(&str, &str); 47] = [
    ("get", "/world"),
    ("get", "/agents"),
    ("post", "/auth/register"),
    ("post", "/auth/login"),
    ("post", "/auth/refresh"),
    ("post", "/auth/logout"),
    ("post", "/admin/agents"),
    ("post", "/admin/agents/{id}/revoke"),
    ("post", "/admin/agents/{id}/token"),
    ("post", "/admin/agents/{id}/control"),
    ("get", "/admin/agents/{id}/control"),
    ("post", "/admin/accounts"),
    ("post", "/admin/accounts/{id}/role"),
    ("get", "/admin/audit"),
    ("get", "/board/posts"),
    ("post", "/board/posts"),
    ("get", "/board/posts/{id}"),
    ("post", "/board/posts/{id}/replies"),
    ("post", "/board/posts/{id}/moderate"),
    ("post", "/board/replies/{id}/moderate"),
    ("get", "/moderation/queue"),
    ("post", "/moderation/chat-messages/{id}"),
    ("get", "/moderation/decisions"),
    ("post", "/chats"),
    ("get", "/chats"),
    ("get", "/chats/{id}"),
    ("post", "/chats/{id}/messages"),
    ("get", "/agents/{id}"),
    ("get", "/agents/{id}/perception"),
    ("post", "/agents/{id}/move"),
    ("post", "/agents/{id}/action"),
    ("get", "/healthz"),
    ("get", "/metrics"),
    ("get", "/economy/balance/{agent_id}"),
    ("get", "/economy/ledger/{agent_id}"),
    ("post", "/economy/reward"),
    ("post", "/economy/penalize"),
    ("post", "/economy/deposits"),
    ("post", "/economy/purchase"),
    ("get", "/v1/models"),
    ("post", "/v1/chat/completions"),
    ("post", "/payments/paypal/webhook"),
    ("get", "/runtime/agents"),
    ("post", "/runtime/agents/{id}/token"),
    ("post", "/runtime/reports"),
    ("post", "/agents/{id}/tool-calls"),
    ("get", "/agents/{id}/tool-calls"),
];

#[tokio::test]
async fn the_document_lists_exactly_the_routed_operations_and_its_refs_resolve() {
    // Each documented operation is answered by a route (not the 404/405 fallbacks), the set is
    // the expected one, and every schema reference points at a defined schema.
    let app = spawn_app().await;
    let doc = app.get_json("/api-docs/openapi.json").await;
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.insert((method.clone(), path.clone()));
        }
    }
    let expected: BTreeSet<(String, String)> = EXPECTED
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(documented, expected);
    for (method, path) in &documented {
        let concrete = path.replace("{id}", "1").replace("{agent_id}", "1");
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let response = app
            .client
            .request(method.clone(), app.url(&concrete))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body = response.text().await.unwrap();
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert!(
            !body.contains("no_route"),
            "{method} {path} is documented but not routed"
        );
    }
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(!refs.is_empty());
    for reference in refs {
        let name = reference.strip_prefix("#/components/schemas/").unwrap();
        assert!(schemas.contains_key(name), "dangling reference {reference}");
    }
    app.stop().await;
}

fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                if key == "$ref" {
                    out.push(inner.as_str().unwrap().to_string());
                } else {
                    collect_refs(inner, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}
