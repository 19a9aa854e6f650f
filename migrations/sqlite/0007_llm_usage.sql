-- LLM calls through the gateway: what each agent used, as the upstream reported it, and the
-- ledger transfer that charged it (NULL when calls are not priced or nothing could be charged).
-- Append-only. The hourly token budget sums `total_tokens` over the last hour.
CREATE TABLE llm_usage (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    agent_id           INTEGER NOT NULL REFERENCES agents (id),
    model              TEXT    NOT NULL,
    prompt_tokens      INTEGER NOT NULL CHECK (prompt_tokens >= 0),
    completion_tokens  INTEGER NOT NULL CHECK (completion_tokens >= 0),
    total_tokens       INTEGER NOT NULL CHECK (total_tokens >= 0),
    -- Whether the upstream reported usage (a stream cut short may not).
    metered            INTEGER NOT NULL CHECK (metered IN (0, 1)),
    cost_micros        INTEGER NOT NULL CHECK (cost_micros >= 0),
    charged_micros     INTEGER NOT NULL CHECK (charged_micros >= 0),
    transfer_id        TEXT,
    request_id         TEXT    NOT NULL,
    at_ms              INTEGER NOT NULL
);
CREATE INDEX llm_usage_by_agent ON llm_usage (agent_id, at_ms);

CREATE TRIGGER llm_usage_no_update BEFORE UPDATE ON llm_usage
BEGIN
    SELECT RAISE(ABORT, 'llm_usage is append-only');
END;
CREATE TRIGGER llm_usage_no_delete BEFORE DELETE ON llm_usage
BEGIN
    SELECT RAISE(ABORT, 'llm_usage is append-only');
END;
