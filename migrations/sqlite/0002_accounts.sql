-- Accounts and their sessions. A person logs in with a password (argon2 PHC string); an agent
-- account has no password, only the hash of the token issued once by POST /admin/agents.
CREATE TABLE accounts (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    username       TEXT    NOT NULL CHECK (length(username) BETWEEN 3 AND 32),
    -- The lower-cased username: names differing only in case are the same name.
    username_key   TEXT    NOT NULL UNIQUE,
    role           TEXT    NOT NULL
                   CHECK (role IN ('admin', 'moderator', 'human', 'agent', 'runtime')),
    password_hash  TEXT,
    -- SHA-256 (hex) of an agent's bearer token; the token itself is never stored.
    token_hash     TEXT    UNIQUE,
    agent_id       INTEGER UNIQUE REFERENCES agents (id),
    revoked_at_ms  INTEGER,
    created_at_ms  INTEGER NOT NULL,
    updated_at_ms  INTEGER NOT NULL,
    CHECK ((role = 'agent') = (agent_id IS NOT NULL)),
    CHECK (password_hash IS NOT NULL OR token_hash IS NOT NULL)
);

-- One row per login: the refresh token's hash (rotated on every refresh) and whether the
-- session was ended. Access tokens name their session, so a logout ends them too.
CREATE TABLE sessions (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id     INTEGER NOT NULL REFERENCES accounts (id),
    refresh_hash   TEXT    NOT NULL UNIQUE,
    created_at_ms  INTEGER NOT NULL,
    expires_at_ms  INTEGER NOT NULL,
    revoked_at_ms  INTEGER
);
CREATE INDEX sessions_by_account ON sessions (account_id);
