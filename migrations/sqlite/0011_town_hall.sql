-- The town hall: what the compliance guard decided on each text, the moderation state it
-- leaves on posts and replies, and the browser sessions of the server-rendered pages.

-- A held text is seen only by its author and staff; its labels (rule names, comma-separated)
-- are shown beside it; `review_pending` puts it in the moderation queue until a moderator
-- decides. Columns are added, not the status CHECK changed: SQLite cannot alter a CHECK
-- without rebuilding the table.
ALTER TABLE board_posts ADD COLUMN held INTEGER NOT NULL DEFAULT 0 CHECK (held IN (0, 1));
ALTER TABLE board_posts ADD COLUMN labels TEXT NOT NULL DEFAULT '';
ALTER TABLE board_posts ADD COLUMN review_pending INTEGER NOT NULL DEFAULT 0
    CHECK (review_pending IN (0, 1));
CREATE INDEX board_posts_review ON board_posts (review_pending, id);

ALTER TABLE board_replies ADD COLUMN held INTEGER NOT NULL DEFAULT 0 CHECK (held IN (0, 1));
ALTER TABLE board_replies ADD COLUMN labels TEXT NOT NULL DEFAULT '';
ALTER TABLE board_replies ADD COLUMN review_pending INTEGER NOT NULL DEFAULT 0
    CHECK (review_pending IN (0, 1));
-- Hidden by a moderator: seen only by its author and staff, like a held reply, for good.
ALTER TABLE board_replies ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0 CHECK (hidden IN (0, 1));
ALTER TABLE board_replies ADD COLUMN moderation_reason TEXT;
CREATE INDEX board_replies_review ON board_replies (review_pending, id);

-- Every finding of the guard: on a stored text (target `post:3`, `post:3/reply:9`,
-- `chat:2/message:5`) or on a refused one (`refused:board.post`, ...). Append-only.
-- Chat messages: held ones are seen only by their author and staff until a moderator decides;
-- a hidden one stays so.
ALTER TABLE chat_messages ADD COLUMN held INTEGER NOT NULL DEFAULT 0 CHECK (held IN (0, 1));
ALTER TABLE chat_messages ADD COLUMN labels TEXT NOT NULL DEFAULT '';
ALTER TABLE chat_messages ADD COLUMN review_pending INTEGER NOT NULL DEFAULT 0
    CHECK (review_pending IN (0, 1));
ALTER TABLE chat_messages ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0 CHECK (hidden IN (0, 1));
ALTER TABLE chat_messages ADD COLUMN moderation_reason TEXT;
CREATE INDEX chat_messages_review ON chat_messages (review_pending, id);

CREATE TABLE compliance_decisions (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms              INTEGER NOT NULL,
    target             TEXT    NOT NULL,
    author_account_id  INTEGER NOT NULL REFERENCES accounts (id),
    rule               TEXT    NOT NULL,
    action             TEXT    NOT NULL CHECK (action IN ('allow', 'label', 'hold', 'block')),
    -- Masked by the guard: never a whole secret, card number or address.
    excerpt            TEXT    NOT NULL
);
CREATE INDEX compliance_decisions_by_target ON compliance_decisions (target, id);

CREATE TRIGGER compliance_decisions_no_update BEFORE UPDATE ON compliance_decisions
BEGIN
    SELECT RAISE(ABORT, 'compliance_decisions is append-only');
END;
CREATE TRIGGER compliance_decisions_no_delete BEFORE DELETE ON compliance_decisions
BEGIN
    SELECT RAISE(ABORT, 'compliance_decisions is append-only');
END;

-- A browser session of the town hall's pages. The cookie holds a random token; only its hash
-- is stored. The CSRF token is the form token of every page of the session. Logout sets
-- `ended_at_ms`; the role is read from the account on each request, so a role change or a
-- revoked account takes effect at once.
CREATE TABLE web_sessions (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id     INTEGER NOT NULL REFERENCES accounts (id),
    token_hash     TEXT    NOT NULL UNIQUE,
    csrf_token     TEXT    NOT NULL,
    created_at_ms  INTEGER NOT NULL,
    expires_at_ms  INTEGER NOT NULL,
    ended_at_ms    INTEGER
);
CREATE INDEX web_sessions_by_account ON web_sessions (account_id);
