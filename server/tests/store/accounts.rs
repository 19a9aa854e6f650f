//! Accounts and sessions.

use village_server::store::{NewAccount, NewAgent, StoreError};

use crate::{audit, each_backend};

fn person(name: &str, role: &str) -> NewAccount {
    NewAccount {
        username: name.into(),
        role: role.into(),
        password_hash: Some("$argon2id$fake".into()),
        token_hash: None,
        agent_id: None,
    }
}

#[tokio::test]
async fn usernames_are_unique_regardless_of_case() {
    // "Ada" and "ada" are the same name: the second is a conflict; lookups ignore case.
    let (stores, _dir) = each_backend().await;
    for store in &stores {
        let ada = store
            .insert_account(&person("Ada", "human"), &audit("account.register"), 1)
            .await
            .unwrap();
        let again = store
            .insert_account(&person("ada", "human"), &audit("account.register"), 2)
            .await;
        assert!(
            matches!(again, Err(StoreError::Conflict(_))),
            "{:?}",
            store.backend()
        );
        let found = store
            .find_account_by_username("ADA")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.id, ada.id);
        assert_eq!(found.username, "Ada");
        assert!(
            store
                .find_account_by_username("bob")
                .await
                .unwrap()
                .is_none()
        );
        // The refused insert wrote no audit entry: it was in the rolled-back transaction.
        assert_eq!(store.count_audit().await.unwrap(), 1);
    }
}

#[tokio::test]
async fn a_role_the_schema_does_not_know_is_refused() {
    // The database itself refuses a role outside the five.
    let (stores, _dir) = each_backend().await;
    for store in &stores {
        let bad = store
            .insert_account(&person("mallory", "superuser"), &audit("x"), 1)
            .await;
        assert!(
            matches!(bad, Err(StoreError::Database(_))),
            "{:?}",
            store.backend()
        );
    }
}

#[tokio::test]
async fn sessions_rotate_once_and_revocation_ends_them() {
    // A refresh hash works once; revoking the session or the account makes it fail, and the
    // revoked lists report both.
    let (stores, _dir) = each_backend().await;
    for store in &stores {
        let ada = store
            .insert_account(&person("ada", "human"), &audit("r"), 1)
            .await
            .unwrap();
        let sid = store
            .insert_session(ada.id.0, "human", "h1", 10_000, &audit("auth.login"), 1)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            store.rotate_session("h1", "h2", 2).await.unwrap(),
            Some((sid, ada.id.0, 10_000))
        );
        assert_eq!(
            store.rotate_session("h1", "h3", 3).await.unwrap(),
            None,
            "used twice"
        );
        assert_eq!(
            store.rotate_session("h2", "h3", 20_000).await.unwrap(),
            None,
            "expired"
        );
        assert!(
            store
                .revoke_session(sid, ada.id.0, &audit("auth.logout"), 4)
                .await
                .unwrap()
        );
        assert_eq!(
            store.rotate_session("h2", "h4", 5).await.unwrap(),
            None,
            "ended"
        );
        assert_eq!(store.list_revoked_sessions(5).await.unwrap(), vec![sid]);
        let second = store
            .insert_session(ada.id.0, "human", "k1", 10_000, &audit("auth.login"), 6)
            .await
            .unwrap()
            .unwrap();
        assert!(
            store
                .revoke_account(ada.id.0, &audit("admin.revoke"), 7)
                .await
                .unwrap()
        );
        assert_eq!(store.rotate_session("k1", "k2", 8).await.unwrap(), None);
        assert_eq!(store.list_revoked_accounts().await.unwrap(), vec![ada.id.0]);
        let mut revoked = store.list_revoked_sessions(8).await.unwrap();
        revoked.sort_unstable();
        assert_eq!(revoked, vec![sid, second]);
        assert!(
            !store
                .revoke_account(9_999, &audit("admin.revoke"), 9)
                .await
                .unwrap()
        );
    }
}

#[tokio::test]
async fn role_changes_end_sessions_and_never_touch_agents() {
    // A person's role changes and their sessions end; an agent account's role cannot change.
    let (stores, _dir) = each_backend().await;
    for store in &stores {
        let bob = store
            .insert_account(&person("bob", "human"), &audit("r"), 1)
            .await
            .unwrap();
        let sid = store
            .insert_session(bob.id.0, "human", "b1", 10_000, &audit("auth.login"), 1)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            store
                .set_account_role(bob.id.0, "moderator", &audit("admin.role_change"), 2)
                .await
                .unwrap(),
            Some(vec![sid]),
            "the sessions it ended"
        );
        // A login that read the old role cannot open a session after the change.
        assert_eq!(
            store
                .insert_session(bob.id.0, "human", "b2", 10_000, &audit("auth.login"), 2)
                .await
                .unwrap(),
            None
        );
        assert_eq!(
            store.find_account(bob.id.0).await.unwrap().unwrap().role,
            "moderator"
        );
        assert_eq!(store.list_revoked_sessions(3).await.unwrap(), vec![sid]);
        assert_eq!(store.delete_expired_sessions(10_001).await.unwrap(), 1);
        assert!(store.list_revoked_sessions(3).await.unwrap().is_empty());
        let agent = NewAgent {
            display_name: "Cy".into(),
            persona: String::new(),
            home: None,
            profile: serde_json::json!({}),
            brain: shared::runtime::AgentBrain::Scripted,
        };
        let (_, agent_account) = store
            .insert_agent_with_account(&agent, "t", &audit("admin.agent_create"), 4)
            .await
            .unwrap();
        assert_eq!(
            store
                .set_account_role(agent_account, "admin", &audit("admin.role_change"), 5)
                .await
                .unwrap(),
            None
        );
        assert_eq!(
            store
                .find_account(agent_account)
                .await
                .unwrap()
                .unwrap()
                .role,
            "agent"
        );
    }
}
