//! The PayPal webhook: only signed, fresh deliveries are read; a completed capture credits the
//! agent once, whether the event is redelivered, another event names the same transaction, or
//! an admin deposited it by hand; bad deliveries change nothing.

use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::AgentId;
use village_server::payments::signature::sign;

use crate::helpers::{TestApp, assert_error, spawn_app, spawn_app_with};

const SECRET: &str = "a shared webhook secret";

fn now_s() -> i64 {
    village_server::clock::now_ms() / 1000
}

fn capture(event: &str, txn: &str, agent: AgentId, usd: &str) -> Value {
    json!({"id": event, "event_type": "PAYMENT.CAPTURE.COMPLETED",
           "resource": {"id": txn, "amount": {"currency_code": "USD", "value": usd},
                        "custom_id": format!("agent:{agent}")}})
}

/// Delivers `event` signed with `secret` at `timestamp`.
async fn deliver(app: &TestApp, event: &Value, secret: &str, timestamp: i64) -> reqwest::Response {
    let body = event.to_string();
    let signature = sign(secret.as_bytes(), timestamp, body.as_bytes());
    app.client
        .post(app.url("/payments/paypal/webhook"))
        .header("content-type", "application/json")
        .header("x-webhook-timestamp", timestamp.to_string())
        .header("x-webhook-signature", format!("sha256={signature}"))
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn balance(app: &TestApp, agent: AgentId) -> i64 {
    app.get_json(&format!("/economy/balance/{agent}")).await["balance_micros"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn a_payment_is_credited_once_however_it_arrives() {
    // A signed capture of 10.00 USD credits 10 aiDollar; the same delivery again answers
    // "duplicate"; another event for the same transaction, and a manual deposit of it, credit
    // nothing more; other event types are acknowledged and ignored; the ledger verifies clean.
    let app = spawn_app_with(|s| s.payments.paypal_webhook_secret = Some(SECRET.into())).await;
    let ada = app.create_agent("Ada", None).await;
    let event = capture("WH-1", "CAP-1", ada, "10.00");
    let first = deliver(&app, &event, SECRET, now_s()).await;
    assert_eq!(first.status(), StatusCode::OK);
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["status"], "credited");
    let again: Value = deliver(&app, &event, SECRET, now_s())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["status"], "duplicate");
    assert_eq!(again["transfer_seq"], first["transfer_seq"]);
    let other = capture("WH-2", "CAP-1", ada, "10.00");
    let other: Value = deliver(&app, &other, SECRET, now_s())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(other["status"], "already_credited");
    let manual = json!({"agent_id": ada.0, "amount_micros": 10_000_000, "paypal_txn_id": "CAP-1"});
    let response = app.post("/economy/deposits", &manual).await;
    assert_error(response, StatusCode::CONFLICT, "already_credited").await;
    let refund = json!({"id": "WH-3", "event_type": "PAYMENT.CAPTURE.REFUNDED"});
    let ignored: Value = deliver(&app, &refund, SECRET, now_s())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ignored["status"], "ignored");
    assert_eq!(balance(&app, ada).await, 10_000_000);
    let report = app.store.verify_ledger().await.unwrap();
    assert!(report.is_clean(), "{:?}", report.problems);
    app.stop().await;
}

#[tokio::test]
async fn unsigned_stale_or_unusable_deliveries_change_nothing() {
    // A wrong secret, a tampered body, a missing signature and a stale timestamp are 401 (and
    // audited as denied); another currency, a missing agent and an unknown agent are refused;
    // without a configured secret the route answers 503; no money moves.
    let app = spawn_app_with(|s| s.payments.paypal_webhook_secret = Some(SECRET.into())).await;
    let ada = app.create_agent("Ada", None).await;
    let event = capture("WH-1", "CAP-1", ada, "10.00");
    let wrong = deliver(&app, &event, "not the shared secret", now_s()).await;
    assert_error(wrong, StatusCode::UNAUTHORIZED, "bad_signature").await;
    let stale = deliver(&app, &event, SECRET, now_s() - 3_600).await;
    assert_error(stale, StatusCode::UNAUTHORIZED, "stale_signature").await;
    let body = event.to_string();
    let signature = sign(SECRET.as_bytes(), now_s(), body.as_bytes());
    let tampered = app
        .client
        .post(app.url("/payments/paypal/webhook"))
        .header("x-webhook-timestamp", now_s().to_string())
        .header("x-webhook-signature", format!("sha256={signature}"))
        .body(body.replace("10.00", "99.00"))
        .send()
        .await
        .unwrap();
    assert_error(tampered, StatusCode::UNAUTHORIZED, "bad_signature").await;
    let unsigned = app
        .client
        .post(app.url("/payments/paypal/webhook"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_error(unsigned, StatusCode::UNAUTHORIZED, "bad_signature").await;
    let euros = capture("WH-4", "CAP-4", ada, "10.00")
        .to_string()
        .replace("USD", "EUR");
    let euros: Value = serde_json::from_str(&euros).unwrap();
    let response = deliver(&app, &euros, SECRET, now_s()).await;
    assert_error(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unsupported_amount",
    )
    .await;
    let response = deliver(
        &app,
        &capture("WH-5", "CAP-5", AgentId(999), "1.00"),
        SECRET,
        now_s(),
    )
    .await;
    assert_error(response, StatusCode::NOT_FOUND, "unknown_agent").await;
    let mut anonymous = capture("WH-6", "CAP-6", ada, "1.00");
    anonymous["resource"]["custom_id"] = Value::Null;
    let response = deliver(&app, &anonymous, SECRET, now_s()).await;
    assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_event").await;
    assert_eq!(balance(&app, ada).await, 0);
    let denied = app
        .get_json("/admin/audit?action=payments.paypal_webhook&outcome=denied")
        .await;
    assert_eq!(denied["entries"].as_array().unwrap().len(), 4);
    app.stop().await;

    let closed = spawn_app().await;
    let response = deliver(&closed, &event, SECRET, now_s()).await;
    assert_error(
        response,
        StatusCode::SERVICE_UNAVAILABLE,
        "webhook_not_configured",
    )
    .await;
    closed.stop().await;
}
