-- Direct task chats: a private thread between one human account and one agent.
CREATE TABLE chats (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    human_account_id  INTEGER NOT NULL REFERENCES accounts (id),
    agent_id          INTEGER NOT NULL REFERENCES agents (id),
    title             TEXT    NOT NULL,
    created_at_ms     INTEGER NOT NULL,
    updated_at_ms     INTEGER NOT NULL
);
CREATE INDEX chats_by_human ON chats (human_account_id, id);
CREATE INDEX chats_by_agent ON chats (agent_id, id);

CREATE TABLE chat_messages (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id            INTEGER NOT NULL REFERENCES chats (id),
    author_account_id  INTEGER NOT NULL REFERENCES accounts (id),
    author_role        TEXT    NOT NULL,
    author_agent_id    INTEGER REFERENCES agents (id),
    author_name        TEXT    NOT NULL,
    body               TEXT    NOT NULL,
    created_at_ms      INTEGER NOT NULL
);
CREATE INDEX chat_messages_by_chat ON chat_messages (chat_id, id);
