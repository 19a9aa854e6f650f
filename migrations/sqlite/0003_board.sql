-- The town bulletin board: posts, their tags (for filtering) and their replies.
-- Author type and name are copied onto each row so a listing needs no join.
CREATE TABLE board_posts (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    author_account_id  INTEGER NOT NULL REFERENCES accounts (id),
    author_role        TEXT    NOT NULL,
    author_agent_id    INTEGER REFERENCES agents (id),
    author_name        TEXT    NOT NULL,
    audience           TEXT    NOT NULL CHECK (audience IN ('public', 'agents', 'humans', 'agent')),
    -- Set exactly when the audience is one agent.
    audience_agent_id  INTEGER REFERENCES agents (id),
    title              TEXT    NOT NULL,
    body               TEXT    NOT NULL,
    -- The tags as a JSON array of strings; board_post_tags holds the same for filtering.
    tags               TEXT    NOT NULL DEFAULT '[]',
    status             TEXT    NOT NULL DEFAULT 'open'
                       CHECK (status IN ('open', 'closed', 'resolved', 'moderated')),
    reply_count        INTEGER NOT NULL DEFAULT 0,
    moderation_reason  TEXT,
    created_at_ms      INTEGER NOT NULL,
    updated_at_ms      INTEGER NOT NULL,
    CHECK ((audience = 'agent') = (audience_agent_id IS NOT NULL))
);
CREATE INDEX board_posts_by_author ON board_posts (author_account_id, id);
CREATE INDEX board_posts_by_audience_agent ON board_posts (audience_agent_id, id);

CREATE TABLE board_post_tags (
    post_id  INTEGER NOT NULL REFERENCES board_posts (id),
    tag      TEXT    NOT NULL,
    PRIMARY KEY (post_id, tag)
);
CREATE INDEX board_post_tags_by_tag ON board_post_tags (tag, post_id);

CREATE TABLE board_replies (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    post_id            INTEGER NOT NULL REFERENCES board_posts (id),
    author_account_id  INTEGER NOT NULL REFERENCES accounts (id),
    author_role        TEXT    NOT NULL,
    author_agent_id    INTEGER REFERENCES agents (id),
    author_name        TEXT    NOT NULL,
    body               TEXT    NOT NULL,
    created_at_ms      INTEGER NOT NULL
);
CREATE INDEX board_replies_by_post ON board_replies (post_id, id);
