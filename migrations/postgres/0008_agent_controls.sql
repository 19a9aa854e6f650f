-- The kill switch: how an admin holds an agent (pause, stop, kill, quarantine) and whether its
-- compute is frozen at the first tier. The same table as migrations/sqlite/0008_agent_controls.sql.
CREATE TABLE agent_controls (
    agent_id      BIGINT  PRIMARY KEY REFERENCES agents (id) ON DELETE CASCADE,
    -- NULL: no hold, the agent's container runs.
    hold          TEXT    CHECK (hold IN ('pause', 'stop', 'kill', 'quarantine')),
    frozen        BIGINT  NOT NULL DEFAULT 0 CHECK (frozen IN (0, 1)),
    reason        TEXT    NOT NULL CHECK (char_length(reason) <= 500),
    updated_by    BIGINT  REFERENCES accounts (id),
    updated_at_ms BIGINT  NOT NULL
);
