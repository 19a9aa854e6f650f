//! Town hall sessions: found by the hash of their token while live; not once ended, expired, or
//! their account revoked; expired ones are deleted.

use village_server::store::{NewAccount, Store};

use crate::{audit, each_backend};

async fn person(store: &Store, name: &str) -> u64 {
    let account = NewAccount {
        username: name.into(),
        role: "moderator".into(),
        password_hash: Some("x".into()),
        token_hash: None,
        agent_id: None,
    };
    store
        .insert_account(&account, &audit("r"), 1)
        .await
        .unwrap()
        .id
        .0
}

#[tokio::test]
async fn a_session_works_until_it_ends_expires_or_its_account_is_revoked() {
    let (stores, _dir) = each_backend().await;
    for store in &stores {
        let mia = person(store, "mia").await;
        let ada = person(store, "ada").await;
        let open = |account, hash: &'static str, expires| async move {
            store
                .insert_web_session(
                    account,
                    hash,
                    "csrf_1",
                    expires,
                    &audit("auth.web_login"),
                    10,
                )
                .await
                .unwrap()
                .unwrap()
        };
        let live = open(mia, "h-live", 1_000).await;
        open(mia, "h-old", 500).await;
        let found = store
            .find_web_session("h-live", 100)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((found.id, found.account_id), (live, mia));
        assert_eq!(
            (found.username.as_str(), found.role.as_str()),
            ("mia", "moderator")
        );
        assert!(
            store
                .find_web_session("h-live", 1_000)
                .await
                .unwrap()
                .is_none(),
            "expired"
        );
        assert!(store.find_web_session("nope", 100).await.unwrap().is_none());

        assert!(
            store
                .end_web_session(live, &audit("auth.web_logout"), 200)
                .await
                .unwrap()
        );
        assert!(
            !store
                .end_web_session(live, &audit("auth.web_logout"), 201)
                .await
                .unwrap()
        );
        assert!(
            store
                .find_web_session("h-live", 300)
                .await
                .unwrap()
                .is_none(),
            "ended"
        );

        open(ada, "h-ada", 1_000).await;
        store
            .revoke_account(ada, &audit("admin.revoke"), 300)
            .await
            .unwrap();
        assert!(
            store
                .find_web_session("h-ada", 400)
                .await
                .unwrap()
                .is_none(),
            "revoked"
        );
        let refused = store
            .insert_web_session(ada, "h-ada-2", "c", 1_000, &audit("auth.web_login"), 400)
            .await
            .unwrap();
        assert!(refused.is_none(), "a revoked account gets no session");

        assert_eq!(store.delete_expired_web_sessions(600).await.unwrap(), 1);
    }
}
