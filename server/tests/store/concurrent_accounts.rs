//! Many writers on accounts and sessions at once: role changes racing logins, revocations
//! racing logins, agent tokens issued together, agents created together, town-hall sessions
//! opened and ended together. Every call gets an answer, and no session outlives the role or
//! the standing it was opened under.

use shared::AccountId;
use shared::AgentId;
use village_server::store::{AuditEntry, AuditFilter, NewAccount, NewAgent, Store};

use crate::{CALLS, assert_none_failed, audit, concurrently, each_backend};

/// Far after every `now_ms` the tests use.
const EXPIRES_MS: i64 = 1_000_000;

async fn person(store: &Store, name: &str) -> u64 {
    let account = NewAccount {
        username: name.into(),
        role: "human".into(),
        password_hash: Some("x".into()),
        token_hash: None,
        agent_id: None,
    };
    let record = store.insert_account(&account, &audit("r"), 1).await;
    record.unwrap().id.0
}

fn role_of(i: usize) -> &'static str {
    ["moderator", "human", "admin"][i % 3]
}

/// The sessions among `opened` that are still live at the end.
async fn live_sessions(store: &Store, opened: &[(usize, Option<u64>)]) -> Vec<(usize, u64)> {
    let ended = store.list_revoked_sessions(10).await.unwrap();
    opened
        .iter()
        .filter_map(|(i, id)| id.map(|id| (*i, id)))
        .filter(|(_, id)| !ended.contains(id))
        .collect()
}

#[tokio::test]
async fn concurrent_role_changes_leave_no_session_with_a_stale_role() {
    // Sixteen role changes of one account race sixteen logins, each under the role it read:
    // all succeed or are refused cleanly, the role is the newest audited one, and every session
    // still live was opened under that role.
    let (stores, _dir) = each_backend().await;
    for store in &stores {
        let mia = person(store, "mia").await;
        let target = format!("account:{mia}");
        let change = concurrently(|i| {
            let audit = AuditEntry {
                target: target.clone(),
                detail: format!("change {i}"),
                ..audit("admin.account_role")
            };
            async move { store.set_account_role(mia, role_of(i), &audit, 2).await }
        });
        let login = concurrently(|i| async move {
            let hash = format!("refresh-{i}");
            let login = audit("auth.login");
            let id = store
                .insert_session(mia, role_of(i), &hash, EXPIRES_MS, &login, 2)
                .await?;
            Ok::<_, village_server::store::StoreError>((i, id))
        });
        let (changed, opened) = tokio::join!(change, login);
        assert_none_failed(store, "role changes", &changed);
        assert_none_failed(store, "logins", &opened);
        assert!(changed.into_iter().all(|c| c.unwrap().is_some()));

        let filter = AuditFilter {
            target: Some(target.clone()),
            action: Some("admin.account_role".into()),
            limit: 100,
            ..AuditFilter::default()
        };
        let entries = store.list_audit(&filter).await.unwrap();
        assert_eq!(entries.len(), CALLS);
        let last: usize = entries[0].detail["change ".len()..].parse().unwrap();
        let role = store.find_account(mia).await.unwrap().unwrap().role;
        assert_eq!(role, role_of(last), "{:?}", store.backend());
        let opened: Vec<_> = opened.into_iter().map(Result::unwrap).collect();
        for (i, _) in live_sessions(store, &opened).await {
            assert_eq!(role_of(i), role, "{:?}: login {i}", store.backend());
        }
    }
}

#[tokio::test]
async fn concurrent_revocations_and_logins_leave_no_live_session() {
    // Sixteen revocations of one account race sixteen logins: all answer, the account is
    // revoked, and every session a login opened has been ended.
    let (stores, _dir) = each_backend().await;
    for store in &stores {
        let mia = person(store, "mia").await;
        let revoke = concurrently(|_| async move {
            store
                .revoke_account(mia, &audit("admin.account_revoke"), 2)
                .await
        });
        let login = concurrently(|i| async move {
            let hash = format!("refresh-{i}");
            let login = audit("auth.login");
            let id = store
                .insert_session(mia, "human", &hash, EXPIRES_MS, &login, 2)
                .await?;
            Ok::<_, village_server::store::StoreError>((i, id))
        });
        let (revoked, opened) = tokio::join!(revoke, login);
        assert_none_failed(store, "revocations", &revoked);
        assert_none_failed(store, "logins", &opened);
        assert!(revoked.into_iter().all(Result::unwrap));
        let account = store.find_account(mia).await.unwrap().unwrap();
        assert!(account.revoked_at_ms.is_some());
        let opened: Vec<_> = opened.into_iter().map(Result::unwrap).collect();
        let live = live_sessions(store, &opened).await;
        assert!(live.is_empty(), "{:?}: {live:?}", store.backend());
    }
}

#[tokio::test]
async fn concurrent_token_issues_give_an_agent_one_account() {
    // Sixteen tokens issued at once to an agent that has no account yet: all succeed with the
    // same account, which holds the token of the newest audited issue.
    let (stores, _dir) = each_backend().await;
    for store in &stores {
        let agent = NewAgent {
            display_name: "Ada".into(),
            persona: String::new(),
            home: None,
            profile: serde_json::json!({}),
            brain: shared::runtime::AgentBrain::Scripted,
        };
        let ada: AgentId = store.insert_agent(&agent, 1).await.unwrap().view.id;
        let target = format!("agent:{}", ada.0);
        let issued = concurrently(|i| {
            let audit = AuditEntry {
                target: target.clone(),
                detail: format!("token-{i}"),
                ..audit("admin.agent_token")
            };
            async move {
                let hash = format!("token-{i}");
                store.issue_agent_token(ada.0, &hash, &audit, 2).await
            }
        })
        .await;
        assert_none_failed(store, "token issues", &issued);
        let issued: Vec<u64> = issued.into_iter().map(Result::unwrap).collect();
        assert!(issued.iter().all(|id| *id == issued[0]), "{issued:?}");
        let filter = AuditFilter {
            target: Some(target.clone()),
            action: Some("admin.agent_token".into()),
            limit: 100,
            ..AuditFilter::default()
        };
        let entries = store.list_audit(&filter).await.unwrap();
        assert_eq!(entries.len(), CALLS);
        let account = store.find_agent_account(ada.0).await.unwrap().unwrap();
        assert_eq!(account.id, AccountId(issued[0]));
        assert_eq!(
            account.token_hash.as_deref(),
            Some(entries[0].detail.as_str())
        );
    }
}

#[tokio::test]
async fn concurrent_agent_creations_each_get_their_account() {
    // Sixteen agents created at once, each with its account: all succeed, with distinct agents
    // and distinct accounts that name them.
    let (stores, _dir) = each_backend().await;
    for store in &stores {
        let created = concurrently(|i| {
            let agent = NewAgent {
                display_name: format!("Agent {i}"),
                persona: String::new(),
                home: None,
                profile: serde_json::json!({}),
                brain: shared::runtime::AgentBrain::Scripted,
            };
            async move {
                let hash = format!("token-{i}");
                store
                    .insert_agent_with_account(&agent, &hash, &audit("admin.agent_create"), 1)
                    .await
            }
        })
        .await;
        assert_none_failed(store, "agent creations", &created);
        for (record, account) in created.into_iter().map(Result::unwrap) {
            let found = store.find_agent_account(record.view.id.0).await.unwrap();
            assert_eq!(found.map(|a| a.id), Some(AccountId(account)));
        }
        assert_eq!(store.count_agents().await.unwrap() as usize, CALLS);
    }
}

#[tokio::test]
async fn concurrent_town_hall_sessions_open_apart_and_end_once() {
    // Sixteen town-hall sessions opened at once are all live and distinct; sixteen logouts of
    // one of them at once end it once, with one audit entry.
    let (stores, _dir) = each_backend().await;
    for store in &stores {
        let mia = person(store, "mia").await;
        let opened = concurrently(|i| async move {
            let hash = format!("cookie-{i}");
            store
                .insert_web_session(mia, &hash, "csrf", EXPIRES_MS, &audit("w"), 2)
                .await
        })
        .await;
        assert_none_failed(store, "web logins", &opened);
        let mut ids: Vec<u64> = opened.into_iter().map(|o| o.unwrap().unwrap()).collect();
        for i in 0..CALLS {
            let found = store.find_web_session(&format!("cookie-{i}"), 3).await;
            assert!(
                found.unwrap().is_some(),
                "{:?}: cookie {i}",
                store.backend()
            );
        }
        let first = ids[0];
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), CALLS);

        let ended = concurrently(|_| async move {
            store
                .end_web_session(first, &audit("auth.web_logout"), 3)
                .await
        })
        .await;
        assert_none_failed(store, "web logouts", &ended);
        let ended = ended.into_iter().filter(|e| *e.as_ref().unwrap()).count();
        assert_eq!(ended, 1, "{:?}", store.backend());
        let filter = AuditFilter {
            action: Some("auth.web_logout".into()),
            limit: 100,
            ..AuditFilter::default()
        };
        assert_eq!(store.list_audit(&filter).await.unwrap().len(), 1);
    }
}
