//! The free allowance: an agent with no money can still think on the smallest model, within
//! `llm.free_tokens_per_hour` (its calls in flight counted as if free too); past it a call is
//! paid, and refused without the funds: no one runs a debt.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::assert_error;
use crate::llm::{fund, gateway_with_allowance, wait_for_charge};

fn ask(max_tokens: i64) -> Value {
    json!({"model": "village-small", "max_tokens": max_tokens,
           "messages": [{"role": "user", "content": "hi"}]})
}

#[tokio::test]
async fn a_broke_agent_thinks_free_within_the_allowance_and_never_owes() {
    // With 2,000 free tokens an hour on the priced village-small: a small call by an agent at
    // zero balance is answered and charged nothing; one whose worst case would pass the
    // allowance is 402 without funds; funded, the same call is charged; no balance goes below 0.
    let (app, _fake) = gateway_with_allowance(2_000).await;
    let mut changes = app.ledger.subscribe();
    let ada = app.create_agent("Ada", None).await;
    let token = app.agent_token(ada);
    let small = app
        .post_as(Some(&token), "/v1/chat/completions", &ask(100))
        .await;
    assert_eq!(small.status(), StatusCode::OK);
    let big = app
        .post_as(Some(&token), "/v1/chat/completions", &ask(1_900))
        .await;
    assert_error(big, StatusCode::PAYMENT_REQUIRED, "insufficient_funds").await;
    let page = app.get_json(&format!("/economy/ledger/{ada}")).await;
    assert!(page["transfers"].as_array().unwrap().is_empty(), "{page}");
    let detail = app.get_json(&format!("/agents/{ada}")).await;
    assert_eq!(detail["economy"]["balance_micros"], 0);
    assert_eq!(detail["last_llm_call"]["model"], "village-small");

    fund(&app, ada, 1_000_000, "FREE-1").await;
    let paid = app
        .post_as(Some(&token), "/v1/chat/completions", &ask(1_900))
        .await;
    assert_eq!(paid.status(), StatusCode::OK);
    let page = wait_for_charge(&app, &mut changes, ada).await;
    assert_eq!(page["transfers"][0]["code"], "llm_usage");
    assert_eq!(page["transfers"][0]["amount_micros"], 20);
    let report = app.store.verify_ledger().await.unwrap();
    assert!(report.is_clean(), "{:?}", report.problems);
    app.stop().await;
}
