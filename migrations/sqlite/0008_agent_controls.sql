-- The kill switch: how an admin holds an agent (pause, stop, kill, quarantine) and whether its
-- compute is frozen at the first tier. Written, with its audit entry, before the admin is
-- answered. Authoritative over agents.status: at start an agent with a hold gets the hold's
-- status, and one without gets no held status back from a write-behind that lost a race.
CREATE TABLE agent_controls (
    agent_id      INTEGER PRIMARY KEY REFERENCES agents (id) ON DELETE CASCADE,
    -- NULL: no hold, the agent's container runs.
    hold          TEXT    CHECK (hold IN ('pause', 'stop', 'kill', 'quarantine')),
    frozen        INTEGER NOT NULL DEFAULT 0 CHECK (frozen IN (0, 1)),
    -- Why the last change was made, as the admin wrote it.
    reason        TEXT    NOT NULL CHECK (length(reason) <= 500),
    updated_by    INTEGER REFERENCES accounts (id),
    updated_at_ms INTEGER NOT NULL
);
