//! The economy over HTTP: rewards and penalties for an agent's work, deposits, purchases of
//! compute boosts, idempotent retries, budgets, who may move money, refusals that change
//! nothing, concurrent transfers on one agent, and `verify_ledger` staying clean throughout.

use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::AgentId;

use crate::helpers::{Db, TestApp, assert_error, spawn_app_on};

/// A server on `db` where agents may post from anywhere (these tests are about money).
async fn economy_app(db: Db) -> TestApp {
    spawn_app_on(db, |s| s.board.agents_post_at_board_only = false).await
}

/// Posts on the board as `agent`; returns the post id.
async fn post_by(app: &TestApp, agent: AgentId) -> u64 {
    let response = app
        .post_as(
            Some(&app.agent_token(agent)),
            "/board/posts",
            &json!({"title": "Need a hand", "body": "Who can review my patch?"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    body["id"].as_u64().unwrap()
}

async fn balance(app: &TestApp, agent: AgentId) -> i64 {
    app.get_json(&format!("/economy/balance/{agent}")).await["balance_micros"]
        .as_i64()
        .unwrap()
}

async fn assert_clean(app: &TestApp) {
    let report = app.store.verify_ledger().await.unwrap();
    assert!(report.is_clean(), "ledger problems: {:?}", report.problems);
}

fn feedback(id: &str, agent: AgentId, amount: i64, post: u64) -> Value {
    json!({"transfer_id": id, "agent_id": agent.0, "amount_micros": amount,
           "reason": "clear and useful", "post_id": post})
}

#[tokio::test]
async fn a_reward_credits_the_agent_once_however_often_it_is_retried() {
    // A person rewards an agent's post: 201 and the balance moves; the same id and body again
    // answers 200 with the first result and moves nothing; the same id with another body is
    // 409; the audit log and the ledger listing show it once; the ledger verifies clean.
    let app = economy_app(Db::Sqlite).await;
    let agent = app.create_agent("Ada", None).await;
    let post = post_by(&app, agent).await;
    let (_, human) = app.account("hal", "human").await;
    let body = feedback("rw-1", agent, 2_500_000, post);
    let first = app.post_as(Some(&human), "/economy/reward", &body).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["replayed"], false);
    assert_eq!(first["transfer"]["amount"], "2.50");
    assert_eq!(
        first["transfer"]["credit_account"],
        format!("agent:{agent}")
    );
    assert_eq!(first["transfer"]["credit_balance_after_micros"], 2_500_000);
    let again = app.post_as(Some(&human), "/economy/reward", &body).await;
    assert_eq!(again.status(), StatusCode::OK);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["replayed"], true);
    assert_eq!(again["transfer"], first["transfer"]);
    let other = feedback("rw-1", agent, 3_000_000, post);
    let response = app.post_as(Some(&human), "/economy/reward", &other).await;
    assert_error(response, StatusCode::CONFLICT, "transfer_id_reused").await;
    assert_eq!(balance(&app, agent).await, 2_500_000);
    let page = app.get_json(&format!("/economy/ledger/{agent}")).await;
    assert_eq!(page["transfers"].as_array().unwrap().len(), 1);
    let audit = app.get_json("/admin/audit?action=economy.reward").await;
    assert_eq!(audit["entries"].as_array().unwrap().len(), 1);
    assert_clean(&app).await;
    app.stop().await;
}

#[tokio::test]
async fn bad_money_requests_get_clear_errors_and_change_nothing() {
    // Zero, negative, oversized and overflowing amounts, unknown agents and posts, a post by
    // someone else, a bad transfer id, a penalty beyond the balance, a flag only admins may
    // set, and the wrong roles: each a 4xx with its code, and the ledger stays empty.
    let app = economy_app(Db::Sqlite).await;
    let ada = app.create_agent("Ada", None).await;
    let bob = app.create_agent("Bob", None).await;
    let post = post_by(&app, ada).await;
    let (_, human) = app.account("hal", "human").await;
    let (_, runtime) = app.account("runtime-svc", "runtime").await;
    let h = Some(human.as_str());
    let cases: Vec<(Value, StatusCode, &str)> = vec![
        (
            feedback("a", ada, 0, post),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_amount",
        ),
        (
            feedback("a", ada, -5, post),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_amount",
        ),
        (
            feedback("a", ada, 2_000_000_000_000, post),
            StatusCode::UNPROCESSABLE_ENTITY,
            "amount_too_large",
        ),
        (
            feedback("a", AgentId(999), 5, post),
            StatusCode::NOT_FOUND,
            "unknown_agent",
        ),
        (
            feedback("a", ada, 5, 999),
            StatusCode::NOT_FOUND,
            "unknown_post",
        ),
        (
            feedback("a", bob, 5, post),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_agents_work",
        ),
        (
            feedback("", ada, 5, post),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_transfer_id",
        ),
        (
            feedback("a b", ada, 5, post),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_transfer_id",
        ),
    ];
    for (body, status, code) in cases {
        let response = app.post_as(h, "/economy/reward", &body).await;
        assert_error(response, status, code).await;
    }
    let overflowing = format!(
        r#"{{"transfer_id": "a", "agent_id": {ada}, "amount_micros": 92233720368547758070,
            "reason": "x", "post_id": {post}}}"#
    );
    let response = app
        .client
        .post(app.url("/economy/reward"))
        .bearer_auth(&human)
        .header("content-type", "application/json")
        .body(overflowing)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let mut no_post = feedback("a", ada, 5, post);
    no_post.as_object_mut().unwrap().remove("post_id");
    let response = app.post_as(h, "/economy/reward", &no_post).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let response = app
        .post_as(h, "/economy/penalize", &feedback("p", ada, 5, post))
        .await;
    assert_error(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "insufficient_funds",
    )
    .await;
    let mut negative = feedback("p", ada, 5, post);
    negative["allow_negative"] = json!(true);
    let response = app.post_as(h, "/economy/penalize", &negative).await;
    assert_error(response, StatusCode::FORBIDDEN, "forbidden_flag").await;
    let ada_token = app.agent_token(ada);
    for token in [ada_token.as_str(), runtime.as_str()] {
        let response = app
            .post_as(Some(token), "/economy/reward", &feedback("r", ada, 5, post))
            .await;
        assert_error(response, StatusCode::FORBIDDEN, "forbidden_role").await;
    }
    let deposit = json!({"agent_id": ada.0, "amount_micros": 5, "paypal_txn_id": "T1"});
    let response = app.post_as(h, "/economy/deposits", &deposit).await;
    assert_error(response, StatusCode::FORBIDDEN, "forbidden_role").await;
    let response = app
        .post_as(None, "/economy/reward", &feedback("r", ada, 5, post))
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let response = app
        .post_as(
            Some(&human),
            "/economy/purchase",
            &json!({"transfer_id": "x", "tier": "worker", "hours": 1}),
        )
        .await;
    assert_error(response, StatusCode::FORBIDDEN, "forbidden_role").await;
    let report = app.store.verify_ledger().await.unwrap();
    assert_eq!(report.transfers, 0);
    assert!(report.is_clean());
    app.stop().await;
}

#[tokio::test]
async fn a_daily_budget_caps_what_one_person_moves() {
    // A human's rewards and penalties together stop at the configured daily budget with 429
    // and Retry-After; another human's budget is untouched.
    let app = spawn_app_on(Db::Sqlite, |s| {
        s.board.agents_post_at_board_only = false;
        s.economy.daily_budget_micros.human = 10_000_000;
    })
    .await;
    let ada = app.create_agent("Ada", None).await;
    let post = post_by(&app, ada).await;
    let (_, hal) = app.account("hal", "human").await;
    let (_, ivy) = app.account("ivy", "human").await;
    let ok = app
        .post_as(
            Some(&hal),
            "/economy/reward",
            &feedback("b1", ada, 8_000_000, post),
        )
        .await;
    assert_eq!(ok.status(), StatusCode::CREATED);
    let ok = app
        .post_as(
            Some(&hal),
            "/economy/penalize",
            &feedback("b2", ada, 1_000_000, post),
        )
        .await;
    assert_eq!(ok.status(), StatusCode::CREATED);
    let over = app
        .post_as(
            Some(&hal),
            "/economy/reward",
            &feedback("b3", ada, 1_000_001, post),
        )
        .await;
    assert!(over.headers().contains_key("retry-after"));
    let message = assert_error(over, StatusCode::TOO_MANY_REQUESTS, "daily_budget_exceeded").await;
    assert!(message.contains("1000000 of 10000000"), "{message}");
    let other = app
        .post_as(
            Some(&ivy),
            "/economy/reward",
            &feedback("b4", ada, 9_000_000, post),
        )
        .await;
    assert_eq!(other.status(), StatusCode::CREATED);
    assert_eq!(balance(&app, ada).await, 16_000_000);
    assert_clean(&app).await;
    app.stop().await;
}

#[tokio::test]
async fn all_humans_together_share_one_daily_pool() {
    // Anyone may register, so human accounts share a daily pool on top of their own budgets:
    // with a pool of 5 aiDollar, a second human's 3 after a first one's 3 is 429 naming the
    // pool; a moderator does not draw on it.
    let app = spawn_app_on(Db::Sqlite, |s| {
        s.board.agents_post_at_board_only = false;
        s.economy.humans_daily_pool_micros = 5_000_000;
    })
    .await;
    let ada = app.create_agent("Ada", None).await;
    let post = post_by(&app, ada).await;
    let (_, hal) = app.account("hal", "human").await;
    let (_, ivy) = app.account("ivy", "human").await;
    let (_, mona) = app.account("mona", "moderator").await;
    let ok = app
        .post_as(
            Some(&hal),
            "/economy/reward",
            &feedback("p1", ada, 3_000_000, post),
        )
        .await;
    assert_eq!(ok.status(), StatusCode::CREATED);
    let over = app
        .post_as(
            Some(&ivy),
            "/economy/reward",
            &feedback("p2", ada, 3_000_000, post),
        )
        .await;
    let message = assert_error(over, StatusCode::TOO_MANY_REQUESTS, "daily_budget_exceeded").await;
    assert!(message.contains("shared by every human"), "{message}");
    let staff = app
        .post_as(
            Some(&mona),
            "/economy/reward",
            &feedback("p3", ada, 3_000_000, post),
        )
        .await;
    assert_eq!(staff.status(), StatusCode::CREATED);
    assert_eq!(balance(&app, ada).await, 6_000_000);
    app.stop().await;
}

#[tokio::test]
async fn deposits_credit_each_paypal_transaction_once_and_admins_may_penalize_below_zero() {
    // A deposit is idempotent on its PayPal transaction id (same body: 200 replay; other
    // body: 409); an admin's flagged penalty may take the balance below zero, and the ledger
    // still verifies clean; a reward for the agent's reply works as for its post.
    let app = economy_app(Db::Sqlite).await;
    let ada = app.create_agent("Ada", None).await;
    let post = post_by(&app, ada).await;
    let deposit = json!({"agent_id": ada.0, "amount_micros": 3_000_000, "paypal_txn_id": "8XY12"});
    let first = app.post("/economy/deposits", &deposit).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let again = app.post("/economy/deposits", &deposit).await;
    assert_eq!(again.status(), StatusCode::OK);
    let lower = json!({"agent_id": ada.0, "amount_micros": 3_000_000, "paypal_txn_id": "8xy12"});
    let same = app.post("/economy/deposits", &lower).await;
    assert_eq!(
        same.status(),
        StatusCode::OK,
        "the same transaction in lower case"
    );
    let changed = json!({"agent_id": ada.0, "amount_micros": 4_000_000, "paypal_txn_id": "8XY12"});
    let response = app.post("/economy/deposits", &changed).await;
    assert_error(response, StatusCode::CONFLICT, "transfer_id_reused").await;
    let bad = json!({"agent_id": ada.0, "amount_micros": 1, "paypal_txn_id": "x y"});
    let response = app.post("/economy/deposits", &bad).await;
    assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_txn_id").await;
    assert_eq!(balance(&app, ada).await, 3_000_000);

    let mut penalty = feedback("pen-1", ada, 5_000_000, post);
    penalty["allow_negative"] = json!(true);
    let response = app.post("/economy/penalize", &penalty).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["transfer"]["allow_negative"], true);
    assert_eq!(balance(&app, ada).await, -2_000_000);

    let (_, human) = app.account("hal", "human").await;
    let reply = app
        .post_as(
            Some(&app.agent_token(ada)),
            &format!("/board/posts/{post}/replies"),
            &json!({"body": "Here is the patch."}),
        )
        .await;
    assert_eq!(reply.status(), StatusCode::CREATED);
    let reply: Value = reply.json().await.unwrap();
    let mut for_reply = feedback("rr-1", ada, 2_000_000, post);
    for_reply["reply_id"] = reply["id"].clone();
    let response = app
        .post_as(Some(&human), "/economy/reward", &for_reply)
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    for_reply["transfer_id"] = json!("rr-2");
    for_reply["reply_id"] = json!(999);
    let response = app
        .post_as(Some(&human), "/economy/reward", &for_reply)
        .await;
    assert_error(response, StatusCode::NOT_FOUND, "unknown_reply").await;
    assert_eq!(balance(&app, ada).await, 0);
    assert_clean(&app).await;
    app.stop().await;
}

#[tokio::test]
async fn a_purchase_lifts_the_tier_for_its_hours_and_is_paid_from_the_balance() {
    // An agent with 5 aiDollar (tier seedling) buys 2 hours of worker: it pays 1.00, its tier
    // is worker with the boost shown and a downgrade foreseen when the boost ends; a second
    // purchase of the same tier extends it; it cannot buy what it cannot pay for, an unknown
    // tier, or the first tier; other agents cannot buy for it.
    let app = economy_app(Db::Sqlite).await;
    let ada = app.create_agent("Ada", None).await;
    let deposit = json!({"agent_id": ada.0, "amount_micros": 5_000_000, "paypal_txn_id": "T-1"});
    assert_eq!(
        app.post("/economy/deposits", &deposit).await.status(),
        StatusCode::CREATED
    );
    let standing = app.get_json(&format!("/economy/balance/{ada}")).await;
    assert_eq!(standing["tier"], "seedling");
    let token = app.agent_token(ada);
    let buy = json!({"transfer_id": "buy-1", "tier": "worker", "hours": 2});
    let response = app.post_as(Some(&token), "/economy/purchase", &buy).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let bought: Value = response.json().await.unwrap();
    assert_eq!(bought["transfer"]["amount_micros"], 1_000_000);
    let first_end = bought["boost"]["ends_ms"].as_i64().unwrap();
    assert_eq!(
        first_end - bought["boost"]["starts_ms"].as_i64().unwrap(),
        7_200_000
    );
    let standing = app.get_json(&format!("/economy/balance/{ada}")).await;
    assert_eq!(standing["balance_micros"], 4_000_000);
    assert_eq!(standing["tier"], "worker");
    assert_eq!(standing["balance_tier"], "seedling");
    assert_eq!(standing["boost"]["tier"], "worker");
    assert_eq!(standing["next_downgrade"]["tier"], "seedling");
    assert_eq!(standing["burn_micros_per_hour"], 1_000_000);
    assert!(
        standing["entitlements"]["llm_models"]
            .as_array()
            .unwrap()
            .len()
            >= 2
    );
    let replay = app.post_as(Some(&token), "/economy/purchase", &buy).await;
    assert_eq!(replay.status(), StatusCode::OK);
    let replay: Value = replay.json().await.unwrap();
    assert_eq!(replay["boost"], bought["boost"]);
    let more = json!({"transfer_id": "buy-2", "tier": "worker", "hours": 1});
    let response = app.post_as(Some(&token), "/economy/purchase", &more).await;
    let extended: Value = response.json().await.unwrap();
    assert_eq!(extended["boost"]["starts_ms"].as_i64().unwrap(), first_end);
    let refusals = [
        (
            json!({"transfer_id": "b3", "tier": "guild", "hours": 1}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "insufficient_funds",
        ),
        (
            json!({"transfer_id": "b3", "tier": "wizard", "hours": 1}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_tier",
        ),
        (
            json!({"transfer_id": "b3", "tier": "seedling", "hours": 1}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_purchasable",
        ),
        (
            json!({"transfer_id": "b3", "tier": "worker", "hours": 0}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_hours",
        ),
    ];
    for (body, status, code) in refusals {
        let response = app.post_as(Some(&token), "/economy/purchase", &body).await;
        assert_error(response, status, code).await;
    }
    assert_eq!(balance(&app, ada).await, 3_500_000);
    let other = app.create_agent("Bob", None).await;
    let page = app
        .get_as(
            Some(&app.agent_token(other)),
            &format!("/economy/ledger/{ada}"),
        )
        .await;
    assert_error(page, StatusCode::FORBIDDEN, "not_your_agent").await;
    let own = app
        .get_as(Some(&token), &format!("/economy/ledger/{ada}?limit=2"))
        .await;
    let own: Value = own.json().await.unwrap();
    assert_eq!(own["transfers"].as_array().unwrap().len(), 2);
    let cursor = own["next_cursor"].as_u64().unwrap();
    let rest = app
        .get_json(&format!("/economy/ledger/{ada}?limit=2&cursor={cursor}"))
        .await;
    assert_eq!(rest["transfers"].as_array().unwrap().len(), 1);
    assert_eq!(rest["transfers"][0]["code"], "deposit_credit");
    assert_clean(&app).await;
    app.stop().await;
}

#[tokio::test]
async fn concurrent_rewards_and_purchases_on_one_agent_lose_nothing_on_sqlite() {
    concurrent_transfers(Db::Sqlite).await;
}

#[tokio::test]
async fn concurrent_rewards_and_purchases_on_one_agent_lose_nothing_on_postgresql() {
    let Some(db) = Db::postgres() else {
        return;
    };
    concurrent_transfers(db).await;
}

/// 50 rewards and 50 purchases race on one agent (seeded with 3 aiDollar, so some purchases
/// win and some lose whichever runs first): the balance never goes below zero, every
/// acknowledged transfer is in the ledger once, and the balance is exactly what they add to.
async fn concurrent_transfers(db: Db) {
    let app = economy_app(db).await;
    let ada = app.create_agent("Ada", None).await;
    let post = post_by(&app, ada).await;
    let token = app.agent_token(ada);
    let seed = json!({"agent_id": ada.0, "amount_micros": 3_000_000, "paypal_txn_id": "SEED"});
    assert_eq!(
        app.post("/economy/deposits", &seed).await.status(),
        StatusCode::CREATED
    );
    let app = std::sync::Arc::new(app);
    let mut tasks = Vec::new();
    for i in 0..50 {
        let rewarder = app.clone();
        tasks.push(tokio::spawn(async move {
            let body = feedback(&format!("c-r{i}"), ada, 400_000, post);
            let response = rewarder.post("/economy/reward", &body).await;
            (response.status(), 400_000_i64)
        }));
        let buyer = app.clone();
        let token = token.clone();
        tasks.push(tokio::spawn(async move {
            let body = json!({"transfer_id": format!("c-p{i}"), "tier": "worker", "hours": 1});
            let response = buyer
                .post_as(Some(&token), "/economy/purchase", &body)
                .await;
            (response.status(), -500_000_i64)
        }));
    }
    let mut expected = 3_000_000;
    let mut purchases = 0;
    for task in tasks {
        let (status, delta) = task.await.unwrap();
        match status {
            StatusCode::CREATED => {
                expected += delta;
                purchases += usize::from(delta < 0);
            }
            StatusCode::UNPROCESSABLE_ENTITY => assert!(delta < 0, "only purchases may lack funds"),
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(purchases > 0);
    assert_eq!(balance(&app, ada).await, expected);
    assert!(expected >= 0);
    let report = app.store.verify_ledger().await.unwrap();
    assert!(report.is_clean(), "{:?}", report.problems);
    assert_eq!(report.transfers, 51 + purchases as i64);
    let app = std::sync::Arc::into_inner(app).unwrap();
    app.stop().await;
}

#[tokio::test]
async fn tier_changes_are_events_on_the_world_stream_and_in_the_audit_log() {
    // A deposit that lifts an agent from seedling to worker is a TierChanged event in the world
    // stream's deltas (reason deposit_credit) and an economy.tier_change audit entry; a
    // purchase of an artisan boost is another (reason purchase_compute).
    let app = economy_app(Db::Sqlite).await;
    let ada = app.create_agent("Ada", None).await;
    let mut stream = app.stream().await;
    stream.skip_intro().await;
    let deposit = json!({"agent_id": ada.0, "amount_micros": 12_000_000, "paypal_txn_id": "TC-1"});
    assert_eq!(
        app.post("/economy/deposits", &deposit).await.status(),
        StatusCode::CREATED
    );
    let expected = shared::protocol::VillageEvent::TierChanged {
        agent: ada,
        from: "seedling".into(),
        to: "worker".into(),
        reason: "deposit_credit".into(),
    };
    stream.wait_for_event(&expected).await;
    let buy = json!({"transfer_id": "tc-buy", "tier": "artisan", "hours": 1});
    let bought = app
        .post_as(Some(&app.agent_token(ada)), "/economy/purchase", &buy)
        .await;
    assert_eq!(bought.status(), StatusCode::CREATED);
    let expected = shared::protocol::VillageEvent::TierChanged {
        agent: ada,
        from: "worker".into(),
        to: "artisan".into(),
        reason: "purchase_compute".into(),
    };
    stream.wait_for_event(&expected).await;
    let audit = app
        .get_json("/admin/audit?action=economy.tier_change")
        .await;
    let details: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["detail"].as_str().unwrap())
        .collect();
    assert!(
        details.contains(&"seedling -> worker (deposit_credit)"),
        "{details:?}"
    );
    assert!(
        details.contains(&"worker -> artisan (purchase_compute)"),
        "{details:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn work_hidden_or_held_from_a_person_cannot_be_rewarded_by_them() {
    // A post a moderator hid, a post the guard held and a hidden reply read as unknown to a
    // person (404), so their reward or penalty is refused the same way and moves nothing.
    let app = economy_app(Db::Sqlite).await;
    let ada = app.create_agent("Ada", None).await;
    let hidden = post_by(&app, ada).await;
    let held = app
        .post_as(
            Some(&app.agent_token(ada)),
            "/board/posts",
            &json!({"title": "Contact", "body": "Write to hana [at] example [dot] org"}),
        )
        .await;
    assert_eq!(held.status(), StatusCode::CREATED);
    let held = held.json::<Value>().await.unwrap();
    assert_eq!(held["held"], true, "{held}");
    let held = held["id"].as_u64().unwrap();
    let open = post_by(&app, ada).await;
    let reply = app
        .post_as(
            Some(&app.agent_token(ada)),
            &format!("/board/posts/{open}/replies"),
            &json!({"body": "Here is the patch."}),
        )
        .await;
    let reply = reply.json::<Value>().await.unwrap()["id"].as_u64().unwrap();
    for (path, id) in [("posts", hidden), ("replies", reply)] {
        let hide = json!({"action": "hide", "reason": "off topic"});
        let hid = app
            .post(&format!("/board/{path}/{id}/moderate"), &hide)
            .await;
        assert_eq!(hid.status(), StatusCode::OK, "{path}");
    }
    let (_, hal) = app.account("hal", "human").await;
    for (route, code) in [("/economy/reward", "rw"), ("/economy/penalize", "pn")] {
        for post in [hidden, held] {
            let refused = app
                .post_as(
                    Some(&hal),
                    route,
                    &feedback(&format!("{code}-{post}"), ada, 1_000, post),
                )
                .await;
            assert_error(refused, StatusCode::NOT_FOUND, "unknown_post").await;
        }
        let mut on_reply = feedback(&format!("{code}-reply"), ada, 1_000, open);
        on_reply["reply_id"] = json!(reply);
        let refused = app.post_as(Some(&hal), route, &on_reply).await;
        assert_error(refused, StatusCode::NOT_FOUND, "unknown_reply").await;
    }
    assert_eq!(balance(&app, ada).await, 0);
    let visible = app
        .post_as(
            Some(&hal),
            "/economy/reward",
            &feedback("rw-open", ada, 1_000, open),
        )
        .await;
    assert_eq!(visible.status(), StatusCode::CREATED);
    app.stop().await;
}
