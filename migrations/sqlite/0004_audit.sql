-- The audit log: one row per security-relevant act (posts, replies, moderation, account and
-- role changes, token issue and revoke, logins, chats), with refused logins and moderations
-- too. Append-only: the
-- triggers below refuse every UPDATE and DELETE, and no code path issues one.
CREATE TABLE audit_log (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms             INTEGER NOT NULL,
    actor_account_id  INTEGER,
    -- 'anonymous' and 'system' beside the account roles.
    actor_role        TEXT    NOT NULL,
    action            TEXT    NOT NULL,
    target            TEXT    NOT NULL,
    outcome           TEXT    NOT NULL CHECK (outcome IN ('ok', 'denied', 'failed')),
    request_id        TEXT    NOT NULL,
    detail            TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_by_actor ON audit_log (actor_account_id, id);
CREATE INDEX audit_log_by_action ON audit_log (action, id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
