//! Agents: insert, conflict, list, positions.

use shared::AccountId;
use shared::{Activity, AgentStatus, Facing, TilePos};
use village_server::store::{NewAgent, StoreError};
use village_server::world::PositionUpdate;

use crate::{audit, each_backend};

fn new_agent(name: &str) -> NewAgent {
    NewAgent {
        display_name: name.into(),
        persona: "curious".into(),
        home: Some("home_1".into()),
        profile: serde_json::json!({"k": 1}),
        brain: shared::runtime::AgentBrain::Scripted,
    }
}

#[tokio::test]
async fn agents_round_trip_and_names_are_unique() {
    // An agent reads back as written (profile included), a second one with the same name is a
    // conflict that leaves one row, and saved positions read back.
    let (stores, _dir) = each_backend().await;
    for store in &stores {
        let ada = store.insert_agent(&new_agent("Ada"), 1_000).await.unwrap();
        assert!(!ada.has_position);
        let again = store.insert_agent(&new_agent("Ada"), 2_000).await;
        assert!(
            matches!(again, Err(StoreError::Conflict(_))),
            "{:?}",
            store.backend()
        );
        assert_eq!(store.count_agents().await.unwrap(), 1);
        let update = PositionUpdate {
            id: ada.view.id,
            pos: TilePos::new(3, 4),
            facing: Facing::East,
            status: AgentStatus::Online,
            activity: Activity::idle(),
            last_seen_ms: 5_000,
        };
        store.save_positions(&[update], 5_000).await.unwrap();
        let listed = store.list_agents().await.unwrap();
        assert_eq!(listed.len(), 1);
        let (record, profile) = &listed[0];
        assert_eq!(record.view.pos, TilePos::new(3, 4));
        assert_eq!(record.view.facing, Facing::East);
        assert!(record.has_position);
        assert_eq!(profile["k"], 1);
    }
}

#[tokio::test]
async fn an_agent_with_its_account_is_one_transaction() {
    // Creating an agent with its account writes both and an audit entry; deleting undoes
    // both; a duplicate name leaves no account behind.
    let (stores, _dir) = each_backend().await;
    for store in &stores {
        let (record, account) = store
            .insert_agent_with_account(&new_agent("Bo"), "hash-1", &audit("admin.agent_create"), 1)
            .await
            .unwrap();
        let found = store
            .find_agent_account(record.view.id.0)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.id, AccountId(account));
        assert_eq!(found.role, "agent");
        assert_eq!(found.token_hash.as_deref(), Some("hash-1"));
        let dup = store
            .insert_agent_with_account(&new_agent("Bo"), "hash-2", &audit("admin.agent_create"), 2)
            .await;
        assert!(matches!(dup, Err(StoreError::Conflict(_))));
        assert_eq!(store.list_token_accounts().await.unwrap().len(), 1);
        store
            .delete_agent_with_account(record.view.id, &audit("undo"), 3)
            .await
            .unwrap();
        assert_eq!(store.count_agents().await.unwrap(), 0);
        assert!(
            store
                .find_agent_account(record.view.id.0)
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(store.count_audit().await.unwrap(), 2);
    }
}
