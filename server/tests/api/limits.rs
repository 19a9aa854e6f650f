//! Request limits: an agent's follow its compute tier (the shipped table) and change with its
//! very next request when money moves; anonymous callers are limited per address.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_error, spawn_app_with};

#[tokio::test]
async fn an_agents_requests_follow_its_tier_and_money_lifts_the_limit_at_once() {
    // A seedling (burst 3) gets 429 tier_rate_limited with Retry-After on its 4th request;
    // a deposit that makes it a worker lets its next request through; another agent that buys
    // a boost with its third request is a worker from its fourth; people are not tier-limited.
    let app = spawn_app_with(|s| s.economy.tiers_file = None).await;
    let ada = app.create_agent("Ada", None).await;
    let token = app.agent_token(ada);
    let perceive = format!("/agents/{ada}/perception");
    for _ in 0..3 {
        assert_eq!(
            app.get_as(Some(&token), &perceive).await.status(),
            StatusCode::OK
        );
    }
    let refused = app.get_as(Some(&token), &perceive).await;
    assert!(refused.headers().contains_key("retry-after"));
    let message = assert_error(refused, StatusCode::TOO_MANY_REQUESTS, "tier_rate_limited").await;
    assert!(message.contains("seedling"), "{message}");
    let deposit = json!({"agent_id": ada.0, "amount_micros": 10_000_000, "paypal_txn_id": "L-1"});
    assert_eq!(
        app.post("/economy/deposits", &deposit).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        app.get_as(Some(&token), &perceive).await.status(),
        StatusCode::OK
    );

    let bob = app.create_agent("Bob", None).await;
    let bob_token = app.agent_token(bob);
    let deposit = json!({"agent_id": bob.0, "amount_micros": 2_000_000, "paypal_txn_id": "L-2"});
    assert_eq!(
        app.post("/economy/deposits", &deposit).await.status(),
        StatusCode::CREATED
    );
    let bob_perceive = format!("/agents/{bob}/perception");
    for _ in 0..2 {
        assert_eq!(
            app.get_as(Some(&bob_token), &bob_perceive).await.status(),
            StatusCode::OK
        );
    }
    let buy = json!({"transfer_id": "l-buy", "tier": "worker", "hours": 1});
    let bought = app
        .post_as(Some(&bob_token), "/economy/purchase", &buy)
        .await;
    assert_eq!(bought.status(), StatusCode::CREATED);
    assert_eq!(
        app.get_as(Some(&bob_token), &bob_perceive).await.status(),
        StatusCode::OK
    );

    let (_, human) = app.account("hal", "human").await;
    for _ in 0..20 {
        assert_eq!(
            app.get_as(Some(&human), "/world").await.status(),
            StatusCode::OK
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn a_persons_requests_are_limited_per_account() {
    // With a burst of 5, a person's 6th request (a read) gets 429 account_rate_limited; another
    // person is not affected.
    let app = spawn_app_with(|s| {
        s.auth.requests_per_minute_per_account = 60;
        s.auth.request_burst_per_account = 5;
    })
    .await;
    let (_, hal) = app.account("hal", "human").await;
    let (_, ivy) = app.account("ivy", "human").await;
    for _ in 0..5 {
        assert_eq!(
            app.get_as(Some(&hal), "/world").await.status(),
            StatusCode::OK
        );
    }
    let refused = app.get_as(Some(&hal), "/world").await;
    assert_error(
        refused,
        StatusCode::TOO_MANY_REQUESTS,
        "account_rate_limited",
    )
    .await;
    assert_eq!(
        app.get_as(Some(&ivy), "/world").await.status(),
        StatusCode::OK
    );
    app.stop().await;
}

#[tokio::test]
async fn anonymous_requests_are_limited_per_address_and_tokens_are_not() {
    // With a burst of 5, the 6th anonymous request from 127.0.0.1 gets 429
    // anonymous_rate_limited; a signed-in person from the same address is not refused.
    let app = spawn_app_with(|s| {
        s.auth.anonymous_requests_per_minute_per_ip = 60;
        s.auth.anonymous_request_burst_per_ip = 5;
    })
    .await;
    for _ in 0..5 {
        assert_eq!(app.get_as(None, "/world").await.status(), StatusCode::OK);
    }
    let refused = app.get_as(None, "/board/posts").await;
    assert!(refused.headers().contains_key("retry-after"));
    assert_error(
        refused,
        StatusCode::TOO_MANY_REQUESTS,
        "anonymous_rate_limited",
    )
    .await;
    assert_eq!(app.get("/world").await.status(), StatusCode::OK);
    app.stop().await;
}
