-- An agent's notebook: its task memory as it last published it. The same table as
-- migrations/sqlite/0012_agent_notebooks.sql.
CREATE TABLE agent_notebooks (
    agent_id      BIGINT  PRIMARY KEY REFERENCES agents (id) ON DELETE CASCADE,
    body          TEXT    NOT NULL,
    updated_at_ms BIGINT  NOT NULL
);
