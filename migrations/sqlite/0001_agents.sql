-- Agents of the village: identity and profile (written before a creation is acknowledged) and
-- their last known place and status (written behind by the world, at most every second).
CREATE TABLE agents (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    display_name  TEXT    NOT NULL UNIQUE CHECK (length(display_name) BETWEEN 1 AND 64),
    persona       TEXT    NOT NULL CHECK (length(persona) <= 2000),
    home          TEXT,
    -- Generated profile (interests, tone, schedule) as JSON; '{}' for agents made by hand.
    profile       TEXT    NOT NULL DEFAULT '{}',
    pos_x         INTEGER CHECK (pos_x BETWEEN 0 AND 65535),
    pos_y         INTEGER CHECK (pos_y BETWEEN 0 AND 65535),
    facing        TEXT    NOT NULL DEFAULT 'south'
                  CHECK (facing IN ('north', 'east', 'south', 'west')),
    status        TEXT    NOT NULL DEFAULT 'idle'
                  CHECK (status IN ('online', 'idle', 'paused', 'quarantined')),
    -- The current activity as JSON ({"kind": ..., "landmark": ..., "detail": ...}).
    activity      TEXT    NOT NULL DEFAULT '{"kind":"idle","landmark":null,"detail":null}',
    last_seen_ms  INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    CHECK ((pos_x IS NULL) = (pos_y IS NULL))
);
