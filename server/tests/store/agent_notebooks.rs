//! Agents' notebooks in the store: one row per agent, replaced whole and read back as written;
//! an unknown agent is a foreign-key violation, and a body that is not a notebook is refused
//! as corrupt when read.

use shared::AgentId;
use shared::api::{AgentNotebook, NotebookTask, TaskSource, TaskState};
use shared::ids::ChatId;
use village_server::store::{NewAgent, Store, StoreError};

use crate::{each_backend_with_urls, execute_raw};

async fn new_agent(store: &Store, name: &str) -> AgentId {
    let agent = NewAgent {
        display_name: name.into(),
        persona: "diligent".into(),
        home: None,
        profile: serde_json::json!({}),
        brain: shared::runtime::AgentBrain::Llm,
    };
    store.insert_agent(&agent, 1).await.unwrap().view.id
}

fn notebook(title: &str) -> AgentNotebook {
    AgentNotebook {
        tasks: vec![NotebookTask {
            source: TaskSource::Chat(ChatId(4)),
            title: title.into(),
            asker: "hana".into(),
            state: TaskState::Clarifying,
            request: "Which file?".into(),
            summary: "Asked which file.".into(),
            work: vec!["asked: which file?".into()],
            turns: 1,
            model_calls: 2,
            tool_calls: 0,
            opened_at_ms: 10,
            updated_at_ms: 20,
        }],
        life: "3 steps".into(),
        updated_at_ms: 30,
    }
}

#[tokio::test]
async fn a_notebook_is_replaced_whole_and_read_back_as_written() {
    // None before the first save; each save replaces the last (with its time); another
    // agent's is its own; an unknown agent is refused by its foreign key; a body that is not
    // a notebook reads as corrupt.
    let (stores, _dir) = each_backend_with_urls().await;
    for (store, url) in &stores {
        let backend = store.backend();
        let (ada, bo) = (new_agent(store, "Ada").await, new_agent(store, "Bo").await);
        assert_eq!(store.find_agent_notebook(ada).await.unwrap(), None);
        store
            .save_agent_notebook(ada, &notebook("first"), 100)
            .await
            .unwrap();
        store
            .save_agent_notebook(ada, &notebook("second"), 200)
            .await
            .unwrap();
        store
            .save_agent_notebook(bo, &notebook("Bo's"), 150)
            .await
            .unwrap();
        let stored = store.find_agent_notebook(ada).await.unwrap().unwrap();
        assert_eq!(stored.notebook, notebook("second"), "{backend:?}");
        assert_eq!(stored.updated_at_ms, 200);
        let theirs = store.find_agent_notebook(bo).await.unwrap().unwrap();
        assert_eq!(theirs.notebook, notebook("Bo's"));

        let unknown = store
            .save_agent_notebook(AgentId(9_999), &notebook("nobody's"), 300)
            .await
            .unwrap_err();
        assert!(unknown.is_foreign_key_violation(), "{backend:?}: {unknown}");

        execute_raw(url, "UPDATE agent_notebooks SET body = '{\"tasks\": 1}'")
            .await
            .unwrap();
        let corrupt = store.find_agent_notebook(ada).await.unwrap_err();
        assert!(matches!(corrupt, StoreError::Corrupt(_)), "{corrupt}");
    }
}
