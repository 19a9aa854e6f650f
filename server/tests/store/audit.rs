//! The audit log: filters, cursor, and no way to change or remove an entry.

use village_server::store::{AuditEntry, AuditFilter};

use crate::each_backend;

fn entry(action: &str, actor: Option<u64>, outcome: &'static str) -> AuditEntry {
    AuditEntry {
        actor_account_id: actor,
        actor_role: if actor.is_some() {
            "human"
        } else {
            "anonymous"
        }
        .into(),
        action: action.into(),
        target: "post:1".into(),
        outcome,
        request_id: "req".into(),
        detail: String::new(),
    }
}

#[tokio::test]
async fn entries_filter_and_page_newest_first() {
    // Filters combine, pages go from newest to oldest, and the cursor continues where the
    // previous page stopped.
    let (stores, _dir) = each_backend().await;
    for store in &stores {
        for i in 0..5 {
            store
                .append_audit(&entry("board.post", Some(7), "ok"), i)
                .await
                .unwrap();
        }
        store
            .append_audit(&entry("auth.login", None, "denied"), 9)
            .await
            .unwrap();
        let all = |limit| AuditFilter {
            limit,
            ..AuditFilter::default()
        };
        let page = store.list_audit(&all(4)).await.unwrap();
        assert_eq!(page.len(), 4);
        assert_eq!(page[0].action, "auth.login");
        assert!(page.windows(2).all(|w| w[0].id > w[1].id));
        let rest = store
            .list_audit(&AuditFilter {
                before_id: Some(page[3].id),
                ..all(10)
            })
            .await
            .unwrap();
        assert_eq!(rest.len(), 2);
        let denied = store
            .list_audit(&AuditFilter {
                outcome: Some("denied".into()),
                ..all(10)
            })
            .await
            .unwrap();
        assert_eq!(denied.len(), 1);
        assert_eq!(denied[0].actor_account_id, None);
        let by_actor = store
            .list_audit(&AuditFilter {
                actor_account_id: Some(7),
                action: Some("board.post".into()),
                ..all(10)
            })
            .await
            .unwrap();
        assert_eq!(by_actor.len(), 5);
    }
}

#[tokio::test]
async fn entries_cannot_be_updated_or_deleted() {
    // The database refuses UPDATE and DELETE on the log (triggers), so even SQL written by
    // hand cannot rewrite history; the entry is unchanged afterwards.
    let (stores, dir) = each_backend().await;
    let sqlite_url = format!("sqlite://{}", dir.path().join("test.db").display());
    for store in &stores {
        store
            .append_audit(&entry("board.post", Some(1), "ok"), 1)
            .await
            .unwrap();
    }
    let mut sqlite = <sqlx::SqliteConnection as sqlx::Connection>::connect(&sqlite_url)
        .await
        .unwrap();
    assert!(
        sqlx::query("UPDATE audit_log SET outcome = 'denied'")
            .execute(&mut sqlite)
            .await
            .is_err()
    );
    assert!(
        sqlx::query("DELETE FROM audit_log")
            .execute(&mut sqlite)
            .await
            .is_err()
    );
    if let Some(admin) = crate::databases::postgres_admin_url() {
        // A fresh database, migrated, then tampered with directly.
        let url = crate::databases::fresh_postgres_database(&admin).await;
        let store = village_server::store::Store::open_and_migrate(&url)
            .await
            .unwrap();
        store
            .append_audit(&entry("board.post", Some(1), "ok"), 1)
            .await
            .unwrap();
        let mut pg = <sqlx::PgConnection as sqlx::Connection>::connect(&url)
            .await
            .unwrap();
        assert!(
            sqlx::query("UPDATE audit_log SET outcome = 'denied'")
                .execute(&mut pg)
                .await
                .is_err()
        );
        assert!(
            sqlx::query("DELETE FROM audit_log")
                .execute(&mut pg)
                .await
                .is_err()
        );
        assert!(
            sqlx::query("TRUNCATE audit_log")
                .execute(&mut pg)
                .await
                .is_err()
        );
        assert_eq!(store.count_audit().await.unwrap(), 1);
    }
    for store in &stores {
        let entries = store
            .list_audit(&AuditFilter {
                limit: 10,
                ..AuditFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].outcome, "ok");
    }
}
