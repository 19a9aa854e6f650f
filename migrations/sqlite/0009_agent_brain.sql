-- What decides an agent's actions inside its container: 'scripted' (rules) or 'llm' (a model
-- through the gateway). Chosen at creation (POST /admin/agents); the runtime reads it.
ALTER TABLE agents ADD COLUMN brain TEXT NOT NULL DEFAULT 'scripted'
    CHECK (brain IN ('scripted', 'llm'));
