//! The ledger writer on both backends: group commits, refusals, a group with one bad transfer,
//! append-only tables, and `verify_ledger` finding what was tampered with.

use std::sync::Arc;
use std::time::Duration;

use shared::AgentId;
use village_server::economy::{
    AccountRef, Ledger, TransferCode, TransferError, TransferRequest, WriterSettings,
};
use village_server::metrics::Metrics;
use village_server::store::{NewAgent, Store};

use crate::{audit, each_backend_with_urls, execute_raw};

async fn new_agent(store: &Store, name: &str) -> AgentId {
    let agent = NewAgent {
        display_name: name.into(),
        persona: "careful".into(),
        home: None,
        profile: serde_json::json!({}),
        brain: shared::runtime::AgentBrain::Scripted,
    };
    store.insert_agent(&agent, 1).await.unwrap().view.id
}

/// A writer on `store` that waits `window` for more transfers to group with the first.
fn writer(store: &Store, window: Duration) -> Ledger {
    let settings = WriterSettings {
        queue_max: 1024,
        batch_window: window,
        tier_book: None,
    };
    Ledger::spawn(store.clone(), Arc::new(Metrics::new()), settings).0
}

fn mint_to(agent: AgentId, id: &str, amount: i64) -> TransferRequest {
    TransferRequest {
        request_id: audit("x").request_id,
        ..TransferRequest::new(
            id,
            (AccountRef::Mint, AccountRef::Agent(agent)),
            amount,
            TransferCode::AdminAdjust,
            "economy.adjust",
        )
    }
}

fn spend(agent: AgentId, id: &str, amount: i64) -> TransferRequest {
    TransferRequest {
        debit: AccountRef::Agent(agent),
        credit: AccountRef::Sink,
        code: TransferCode::LlmUsage,
        ..mint_to(agent, id, amount)
    }
}

#[tokio::test]
async fn concurrent_transfers_commit_in_groups_and_verify_clean() {
    // 300 transfers submitted at once (credits and spends on two agents) are all answered,
    // those acknowledged are each in the ledger once, no agent goes below zero, and the
    // ledger verifies clean; an unknown agent is refused alone.
    let (stores, _dir) = each_backend_with_urls().await;
    for (store, _) in &stores {
        let ada = new_agent(store, "Ada").await;
        let bob = new_agent(store, "Bob").await;
        let ledger = writer(store, Duration::ZERO);
        let mut calls = Vec::new();
        for i in 0..100 {
            for (agent, name) in [(ada, "a"), (bob, "b")] {
                let ledger = ledger.clone();
                calls.push(tokio::spawn(async move {
                    ledger
                        .transfer(mint_to(agent, &format!("m{name}{i}"), 1_000))
                        .await
                }));
            }
            let ledger = ledger.clone();
            calls.push(tokio::spawn(async move {
                ledger.transfer(spend(ada, &format!("s{i}"), 1_500)).await
            }));
        }
        let mut spent = 0;
        for call in calls {
            match call.await.unwrap() {
                Ok(committed) => {
                    assert!(!committed.replayed);
                    if committed.transfer.code == "llm_usage" {
                        spent += 1_500;
                        assert!(committed.transfer.debit_balance_after_micros >= 0);
                    }
                }
                Err(TransferError::InsufficientFunds { .. }) => {}
                Err(other) => panic!("unexpected refusal: {other}"),
            }
        }
        let (_, ada_balance) = store.agent_ledger_account(ada).await.unwrap().unwrap();
        assert_eq!(ada_balance, 100_000 - spent);
        let unknown = ledger.transfer(mint_to(AgentId(999), "u", 1)).await;
        assert!(matches!(unknown, Err(TransferError::UnknownAgent(_))));
        let report = store.verify_ledger().await.unwrap();
        assert!(report.is_clean(), "{:?}", report.problems);
        assert_eq!(report.transfers, 200 + spent / 1_500);
    }
}

#[tokio::test]
async fn one_bad_transfer_does_not_sink_its_group() {
    // A transfer naming a post that does not exist passes the writer's checks but fails in
    // the database; submitted with 20 good ones into one group (the writer waits 500 ms to
    // gather them), it alone fails and they all land.
    let (stores, _dir) = each_backend_with_urls().await;
    for (store, _) in &stores {
        let ada = new_agent(store, "Ada").await;
        let ledger = writer(store, Duration::from_millis(500));
        let mut calls = Vec::new();
        for i in 0..21 {
            let ledger = ledger.clone();
            let mut request = mint_to(ada, &format!("g{i}"), 10);
            if i == 10 {
                request.post_id = Some(4242);
            }
            calls.push(tokio::spawn(async move { ledger.transfer(request).await }));
        }
        let mut failed = 0;
        for call in calls {
            if let Err(error) = call.await.unwrap() {
                assert!(matches!(error, TransferError::Refused(_)), "{error}");
                failed += 1;
            }
        }
        assert_eq!(failed, 1);
        let (_, balance) = store.agent_ledger_account(ada).await.unwrap().unwrap();
        assert_eq!(balance, 200);
        let again = ledger.transfer(mint_to(ada, "after", 5)).await.unwrap();
        assert_eq!(again.transfer.credit_balance_after_micros, 205);
        assert!(store.verify_ledger().await.unwrap().is_clean());
    }
}

#[tokio::test]
async fn history_cannot_change_and_verify_reports_a_tampered_balance() {
    // Transfers and entries refuse UPDATE and DELETE; a cached balance changed by hand is
    // reported (its account, and the balances no longer summing to zero).
    let (stores, _dir) = each_backend_with_urls().await;
    for (store, url) in &stores {
        let ada = new_agent(store, "Ada").await;
        let ledger = writer(store, Duration::ZERO);
        ledger.transfer(mint_to(ada, "t1", 700)).await.unwrap();
        ledger.transfer(spend(ada, "t2", 200)).await.unwrap();
        assert!(store.verify_ledger().await.unwrap().is_clean());
        for sql in [
            "UPDATE ledger_transfers SET amount_micros = 1",
            "DELETE FROM ledger_transfers",
            "UPDATE ledger_entries SET amount_micros = 1",
            "DELETE FROM ledger_entries",
        ] {
            assert!(execute_raw(url, sql).await.is_err(), "{sql} was allowed");
        }
        execute_raw(
            url,
            "UPDATE ledger_accounts SET balance_micros = balance_micros + 1 \
             WHERE kind = 'agent'",
        )
        .await
        .unwrap();
        let report = store.verify_ledger().await.unwrap();
        assert!(!report.is_clean());
        let problems = report.problems.join("\n");
        assert!(problems.contains("account agent:"), "{problems}");
        assert!(problems.contains("balances sum to 1"), "{problems}");
    }
}
