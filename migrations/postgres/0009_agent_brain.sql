-- What decides an agent's actions inside its container; the same column as
-- migrations/sqlite/0009_agent_brain.sql.
ALTER TABLE agents ADD COLUMN brain TEXT NOT NULL DEFAULT 'scripted'
    CHECK (brain IN ('scripted', 'llm'));
