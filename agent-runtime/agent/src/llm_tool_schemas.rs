//! The parameters of the LLM brain's action tools, taken from the JSON schemas of the API's own
//! request bodies (`shared::api`, with its `openapi` feature), so a tool can never offer the
//! model a field, a name or a limit the server does not take. What the agent fills in itself
//! (a purchase's idempotency key, a post's audience) is left out; what a route takes in its
//! path (a reply's post) is added. The schemas are inlined (no `$ref`), since a model reads
//! only the tool. Pure: it builds JSON and keeps no state.

use serde_json::{Map, Value, json};
use shared::api::{Action, CreatePostRequest, CreateReplyRequest, MoveRequest, PurchaseRequest};
use utoipa::ToSchema;

/// Deepest nesting inlined; the API's bodies are three levels deep at most.
const INLINE_DEPTH_MAX: usize = 8;

/// `T`'s schema as JSON, every `$ref` to a schema it names replaced by that schema.
fn inlined<T: ToSchema>() -> Value {
    let mut named = Vec::new();
    T::schemas(&mut named);
    let named: Map<String, Value> = named
        .into_iter()
        .filter_map(|(name, schema)| Some((name, serde_json::to_value(schema).ok()?)))
        .collect();
    let mut schema = serde_json::to_value(T::schema()).unwrap_or(Value::Null);
    inline(&mut schema, &named, 0);
    schema
}

fn inline(value: &mut Value, named: &Map<String, Value>, depth: usize) {
    if depth > INLINE_DEPTH_MAX {
        return;
    }
    let target = value
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.rsplit('/').next())
        .and_then(|name| named.get(name));
    if let Some(target) = target {
        *value = target.clone();
    }
    match value {
        Value::Object(map) => map.values_mut().for_each(|v| inline(v, named, depth + 1)),
        Value::Array(items) => items.iter_mut().for_each(|v| inline(v, named, depth + 1)),
        _ => {}
    }
}

/// An object schema without the properties `drop` (and without them in `required`).
fn without(mut schema: Value, drop: &[&str]) -> Value {
    if let Some(properties) = schema["properties"].as_object_mut() {
        properties.retain(|name, _| !drop.contains(&name.as_str()));
    }
    if let Some(required) = schema["required"].as_array_mut() {
        required.retain(|name| !drop.iter().any(|d| name == d));
    }
    schema
}

/// The variants of a `oneOf` schema (an enum body).
fn variants(schema: &Value) -> impl Iterator<Item = &Value> {
    schema["oneOf"].as_array().into_iter().flatten()
}

/// The parameters of the action `name` (`talk`, `work`, `idle`...): its variant of
/// [`Action`] without the tag. `None` for a name the API has no action of.
pub fn action(name: &str) -> Option<Value> {
    let schema = inlined::<Action>();
    let variant = variants(&schema).find(|v| v["properties"]["action"]["enum"][0] == name)?;
    Some(without(variant.clone(), &["action"]))
}

/// The names of the API's actions, as [`Action`]'s tag takes them.
pub fn action_names() -> Vec<String> {
    let schema = inlined::<Action>();
    variants(&schema)
        .filter_map(|v| v["properties"]["action"]["enum"][0].as_str())
        .map(str::to_string)
        .collect()
}

/// The parameters of a walk to a landmark: the landmark form of [`MoveRequest`].
pub fn move_to_landmark() -> Value {
    let schema = inlined::<MoveRequest>();
    let landmark = variants(&schema).find(|v| v["properties"].get("landmark").is_some());
    landmark.cloned().unwrap_or(Value::Null)
}

/// The parameters of a post: [`CreatePostRequest`] without the audience (people, always).
pub fn post() -> Value {
    without(inlined::<CreatePostRequest>(), &["audience"])
}

/// The parameters of a reply: the post's number (the route's path) and
/// [`CreateReplyRequest`].
pub fn reply() -> Value {
    let mut schema = inlined::<CreateReplyRequest>();
    let post_id = json!({"type": "integer", "minimum": 1, "description": "The post's number."});
    let mut properties = Map::from_iter([("post_id".to_string(), post_id)]);
    if let Some(body) = schema["properties"].as_object() {
        properties.extend(body.clone());
    }
    schema["properties"] = Value::Object(properties);
    let mut required = vec![json!("post_id")];
    required.extend(schema["required"].as_array().cloned().unwrap_or_default());
    schema["required"] = Value::Array(required);
    schema
}

/// The parameters of a boost purchase: [`PurchaseRequest`] without the idempotency key (the
/// agent makes one per step and call).
pub fn buy_boost() -> Value {
    without(inlined::<PurchaseRequest>(), &["transfer_id"])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tools_take_the_apis_fields_and_limits() {
        // Each tool's parameters are the request's, with the server's limits, and no `$ref`.
        let talk = action("talk").unwrap();
        assert_eq!(talk["required"], json!(["text"]));
        assert_eq!(talk["properties"]["text"]["maxLength"], 280);
        assert!(talk["properties"].get("action").is_none());
        let idle = action("idle").unwrap();
        assert_eq!(idle["properties"], json!({}));
        assert!(action("dance").is_none());
        assert_eq!(action_names(), ["talk", "use_board", "work", "idle"]);
        assert_eq!(move_to_landmark()["required"], json!(["landmark"]));
        let post = post();
        assert_eq!(post["required"], json!(["title", "body"]));
        assert!(post["properties"].get("audience").is_none());
        assert_eq!(post["properties"]["tags"]["items"]["maxLength"], 24);
        assert_eq!(reply()["required"], json!(["post_id", "body"]));
        assert_eq!(reply()["properties"]["post_id"]["type"], "integer");
        assert_eq!(buy_boost()["required"], json!(["tier", "hours"]));
        for schema in [post, reply(), buy_boost(), move_to_landmark(), talk] {
            assert!(!schema.to_string().contains("$ref"), "{schema}");
            assert_eq!(schema["type"], "object", "{schema}");
        }
    }
}
