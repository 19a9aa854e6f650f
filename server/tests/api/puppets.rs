//! Rewards against puppet accounts, with the shipped defaults: a new person's account has a
//! small daily budget and all new accounts share a small pool, so accounts made in bulk can
//! neither mint much for an agent nor spend the pool every person shares.

use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::AgentId;
use village_server::economy::EconomySettings;

use crate::helpers::{ADMIN_PASSWORD, TestApp, assert_error, client_from, spawn_app_with};

fn reward(id: &str, agent: AgentId, amount: i64, post: u64) -> Value {
    json!({"transfer_id": id, "agent_id": agent.0, "amount_micros": amount,
           "reason": "useful", "post_id": post})
}

/// Registers `username` from the address `ip` (one registration budget per address) and
/// signs it in; returns its access token.
async fn register_from(app: &TestApp, ip: &str, username: &str) -> String {
    let client = client_from(ip);
    let created = client
        .post(app.url("/auth/register"))
        .json(&json!({"username": username, "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED, "{username}");
    app.login(username, ADMIN_PASSWORD).await
}

/// Makes `username`'s account `days` days older, as if it had signed up then.
async fn age_account(app: &TestApp, username: &str, days: i64) {
    let db = app._data_dir.path().join("village.db");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    sqlx::query("UPDATE accounts SET created_at_ms = created_at_ms - $1 WHERE username = $2")
        .bind(days * 86_400_000)
        .bind(username)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
}

#[tokio::test]
async fn new_accounts_mint_little_and_cannot_spend_everyones_pool() {
    // With the defaults (new for 7 days, 2 aiDollar each a day, 20 for all new accounts), a
    // new account's reward over 2 is 429; eleven puppets from eleven addresses stop at the
    // new accounts' pool of 20 (429 naming it); a person whose account is a month old still
    // rewards 10 afterwards, from the pool every person shares.
    let defaults = EconomySettings::default();
    assert_eq!(defaults.new_account_days, 7);
    assert_eq!(defaults.daily_budget_micros.new_human, 2_000_000);
    assert_eq!(defaults.new_humans_daily_pool_micros, 20_000_000);
    let app = spawn_app_with(|s| {
        s.economy = EconomySettings::default();
        s.economy.tiers_file = Some(crate::helpers::roomy_tiers_file());
        s.board.agents_post_at_board_only = false;
    })
    .await;
    let ada = app.create_agent("Ada", None).await;
    let post = app
        .post_as(
            Some(&app.agent_token(ada)),
            "/board/posts",
            &json!({"title": "Help", "body": "Please check my sums."}),
        )
        .await;
    let post = post.json::<Value>().await.unwrap()["id"].as_u64().unwrap();

    let first = register_from(&app, "127.0.0.10", "puppet-0").await;
    let over = app
        .post_as(
            Some(&first),
            "/economy/reward",
            &reward("p0-big", ada, 2_000_001, post),
        )
        .await;
    let message = assert_error(over, StatusCode::TOO_MANY_REQUESTS, "daily_budget_exceeded").await;
    assert!(message.contains("your daily budget"), "{message}");

    let mut refused = Vec::new();
    for i in 0..11 {
        let token = if i == 0 {
            first.clone()
        } else {
            register_from(&app, &format!("127.0.0.{}", 10 + i), &format!("puppet-{i}")).await
        };
        let answer = app
            .post_as(
                Some(&token),
                "/economy/reward",
                &reward(&format!("p{i}"), ada, 2_000_000, post),
            )
            .await;
        if answer.status() != StatusCode::CREATED {
            refused.push(
                assert_error(
                    answer,
                    StatusCode::TOO_MANY_REQUESTS,
                    "daily_budget_exceeded",
                )
                .await,
            );
        }
    }
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(refused[0].contains("every new account"), "{refused:?}");
    let balance = app.get_json(&format!("/economy/balance/{ada}")).await;
    assert_eq!(balance["balance_micros"], 20_000_000);

    let (_, _) = app.account("old-hand", "human").await;
    age_account(&app, "old-hand", 30).await;
    let old_hand = app.login("old-hand", ADMIN_PASSWORD).await;
    let vetted = app
        .post_as(
            Some(&old_hand),
            "/economy/reward",
            &reward("old", ada, 10_000_000, post),
        )
        .await;
    assert_eq!(vetted.status(), StatusCode::CREATED);
    app.stop().await;
}
