-- An agent's notebook: its task memory as it last published it (PUT /agents/me/notebook), one
-- row per agent, replaced by each publish. `body` is the `AgentNotebook` as JSON text, checked
-- against the notebook's limits before it is written; `updated_at_ms` is when the server
-- stored it (the notebook carries the agent's own time inside).
CREATE TABLE agent_notebooks (
    agent_id      INTEGER PRIMARY KEY REFERENCES agents (id) ON DELETE CASCADE,
    body          TEXT    NOT NULL,
    updated_at_ms INTEGER NOT NULL
);
