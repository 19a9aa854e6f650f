-- What agents ran inside their containers (shell commands, workspace files, HTTP fetches), as
-- each agent reported it before using the result. Written with an `agent.tool_call` audit
-- entry in one transaction; append-only like the audit log (triggers refuse updates and
-- deletes). A retried report of the same call (same agent and call_id) is recorded once.
CREATE TABLE agent_tool_calls (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    agent_id     INTEGER NOT NULL REFERENCES agents (id),
    call_id      TEXT    NOT NULL CHECK (length(call_id) BETWEEN 1 AND 64),
    at_ms        INTEGER NOT NULL,
    tool         TEXT    NOT NULL CHECK (tool IN ('shell', 'read_file', 'write_file', 'http_fetch')),
    input        TEXT    NOT NULL CHECK (length(input) BETWEEN 1 AND 2000),
    cwd          TEXT    NOT NULL CHECK (length(cwd) <= 256),
    outcome      TEXT    NOT NULL CHECK (outcome IN ('ok', 'failed', 'timed_out', 'refused')),
    exit_code    INTEGER,
    duration_ms  INTEGER NOT NULL CHECK (duration_ms >= 0),
    output       TEXT    NOT NULL CHECK (length(output) <= 4000),
    output_bytes INTEGER NOT NULL CHECK (output_bytes >= 0),
    UNIQUE (agent_id, call_id)
);
CREATE INDEX agent_tool_calls_by_agent ON agent_tool_calls (agent_id, id);

CREATE TRIGGER agent_tool_calls_no_update BEFORE UPDATE ON agent_tool_calls
BEGIN
    SELECT RAISE(ABORT, 'agent_tool_calls is append-only');
END;
CREATE TRIGGER agent_tool_calls_no_delete BEFORE DELETE ON agent_tool_calls
BEGIN
    SELECT RAISE(ABORT, 'agent_tool_calls is append-only');
END;
