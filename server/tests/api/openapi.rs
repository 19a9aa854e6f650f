//! The OpenAPI document matches the router (the same operations, each one answered) and is a
//! valid contract: parameters where their path says, and the error answers every route can
//! give documented, so a generated client can filter, page and handle every failure. The field
//! limits in its schemas are checked against the server's own in `openapi_limits.rs`.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::spawn_app;

/// Every documented operation, as the API promises it.
const EXPECTED: [(&str, &str); 51] = [
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
    ("get", "/runtime/changes"),
    ("put", "/admin/agents/{id}/brain"),
    ("post", "/agents/{id}/tool-calls"),
    ("get", "/agents/{id}/tool-calls"),
    ("put", "/agents/me/notebook"),
    ("get", "/agents/{id}/notebook"),
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
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(!refs.is_empty());
    for reference in refs {
        let mut parts = reference.strip_prefix("#/components/").unwrap().split('/');
        let (kind, name) = (parts.next().unwrap(), parts.next().unwrap());
        assert!(
            doc["components"][kind].get(name).is_some(),
            "dangling reference {reference}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn the_served_document_keeps_the_contract_rules() {
    // Parameters sit where their path says and every operation documents the error answers it
    // can give (see `contract_problems`).
    let app = spawn_app().await;
    let doc = app.get_json("/api-docs/openapi.json").await;
    let problems = contract_problems(&doc);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    app.stop().await;
}

#[test]
fn the_contract_rules_catch_each_kind_of_mistake() {
    // A query parameter declared in the path, a path parameter left out, a secured operation
    // without 401 and a JSON body without its 400/413/415/422 are each reported.
    let broken = serde_json::json!({
        "paths": {
            "/things/{id}": {
                "get": {
                    "parameters": [{ "name": "limit", "in": "path", "required": true }],
                    "security": [{ "bearer": [] }],
                    "responses": { "200": {}, "408": {}, "414": {}, "400": {} }
                },
                "post": {
                    "parameters": [{ "name": "id", "in": "path", "required": true }],
                    "requestBody": {},
                    "responses": { "201": {}, "408": {}, "414": {}, "422": {} }
                }
            }
        }
    });
    let problems = contract_problems(&broken).join("\n");
    for expected in [
        "GET /things/{id}: path parameter limit is not in the path",
        "GET /things/{id}: path parameter id is not declared",
        "GET /things/{id}: secured but does not document 401",
        "POST /things/{id}: reads a body but does not document 400",
        "POST /things/{id}: reads a body but does not document 413",
        "POST /things/{id}: reads a body but does not document 415",
    ] {
        assert!(
            problems.contains(expected),
            "missed {expected:?} in:\n{problems}"
        );
    }
    assert!(!problems.contains("does not document 422"), "{problems}");
}

/// What breaks the contract rules in an OpenAPI document, one line each:
/// - the path parameters of each operation are exactly the `{names}` of its path, required;
/// - no parameter is declared twice;
/// - an operation with a security requirement documents 401 (a bad token), 423 (a held
///   agent's token) and 429 (the caller's rate limit);
/// - an operation with a request body documents 400, 413, 415 and 422;
/// - one with path or query parameters documents 400;
/// - every operation documents a 2xx answer, 408 and 414.
fn contract_problems(doc: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let no_params = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let template: BTreeSet<&str> = path
            .split('/')
            .filter_map(|part| part.strip_prefix('{')?.strip_suffix('}'))
            .collect();
        let shared = item["parameters"].as_array().unwrap_or(&no_params);
        for (method, operation) in item.as_object().unwrap() {
            if method == "parameters" {
                continue;
            }
            let mut problem = |what: String| {
                problems.push(format!("{} {path}: {what}", method.to_uppercase()));
            };
            let own = operation["parameters"].as_array().unwrap_or(&no_params);
            let params: Vec<&Value> = shared.iter().chain(own).collect();
            let mut seen = BTreeSet::new();
            let mut in_path = BTreeSet::new();
            for param in &params {
                let (name, place) = (param["name"].as_str().unwrap(), param["in"].as_str());
                if !seen.insert((name, place)) {
                    problem(format!("parameter {name} is declared twice"));
                }
                if place == Some("path") {
                    in_path.insert(name);
                    if !template.contains(name) {
                        problem(format!("path parameter {name} is not in the path"));
                    }
                    if param["required"] != Value::Bool(true) {
                        problem(format!("path parameter {name} is not required"));
                    }
                }
            }
            for name in template.difference(&in_path) {
                problem(format!("path parameter {name} is not declared"));
            }
            let documents = |status: &str| operation["responses"].get(status).is_some();
            let secured = operation["security"]
                .as_array()
                .is_some_and(|alternatives| !alternatives.is_empty());
            let mut needs: Vec<(&str, &str)> =
                vec![("every operation", "408"), ("every operation", "414")];
            if secured {
                needs.extend([("secured", "401"), ("secured", "423"), ("secured", "429")]);
            }
            if operation.get("requestBody").is_some() {
                needs.extend(["400", "413", "415", "422"].map(|s| ("reads a body", s)));
            }
            if !params.is_empty() {
                needs.push(("has parameters", "400"));
            }
            for (why, status) in needs {
                if !documents(status) {
                    problem(format!("{why} but does not document {status}"));
                }
            }
            let answers = operation["responses"].as_object().unwrap();
            if !answers.keys().any(|status| status.starts_with('2')) {
                problem("documents no 2xx answer".into());
            }
        }
    }
    problems
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
