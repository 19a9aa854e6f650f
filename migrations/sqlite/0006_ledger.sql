-- The aiDollar ledger (docs/ECONOMY.md): double-entry and append-only. Amounts are integer
-- micro-aiDollars. Only the server's ledger writer task writes these tables, in one
-- transaction per group of transfers.

-- One account per agent (made on its first transfer) and the four system accounts below.
-- balance_micros caches the sum of the account's entries; `village ledger verify` checks it.
CREATE TABLE ledger_accounts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT    NOT NULL CHECK (kind IN ('system', 'agent')),
    name            TEXT    NOT NULL UNIQUE,
    agent_id        INTEGER UNIQUE REFERENCES agents (id),
    balance_micros  INTEGER NOT NULL DEFAULT 0,
    created_at_ms   INTEGER NOT NULL,
    CHECK ((kind = 'agent') = (agent_id IS NOT NULL))
);
INSERT INTO ledger_accounts (id, kind, name, created_at_ms) VALUES
    (1, 'system', 'mint', 0),
    (2, 'system', 'sink', 0),
    (3, 'system', 'deposits', 0),
    (4, 'system', 'escrow', 0);

-- One row per transfer: `amount_micros` moves from the debit to the credit account. `seq` is
-- assigned by the writer in commit order; `transfer_id` is the client's idempotency key.
CREATE TABLE ledger_transfers (
    seq                         INTEGER PRIMARY KEY,
    transfer_id                 TEXT    NOT NULL UNIQUE
                                CHECK (length(transfer_id) BETWEEN 1 AND 64),
    debit_account_id            INTEGER NOT NULL REFERENCES ledger_accounts (id),
    credit_account_id           INTEGER NOT NULL REFERENCES ledger_accounts (id),
    amount_micros               INTEGER NOT NULL CHECK (amount_micros > 0),
    code                        TEXT    NOT NULL CHECK (code IN ('reward', 'penalty',
                                'deposit_credit', 'purchase_compute', 'llm_usage',
                                'admin_adjust')),
    -- Who moved the money: an account, or NULL with role 'system' for the server itself.
    actor_account_id            INTEGER,
    actor_role                  TEXT    NOT NULL,
    post_id                     INTEGER REFERENCES board_posts (id),
    reply_id                    INTEGER REFERENCES board_replies (id),
    -- A provider's reference (a PayPal transaction id); credited at most once.
    external_ref                TEXT    UNIQUE,
    memo                        TEXT    NOT NULL DEFAULT '' CHECK (length(memo) <= 500),
    -- Set only on an admin penalty allowed to take a balance below zero.
    allow_negative              INTEGER NOT NULL DEFAULT 0 CHECK (allow_negative IN (0, 1)),
    debit_balance_after_micros  INTEGER NOT NULL,
    credit_balance_after_micros INTEGER NOT NULL,
    request_id                  TEXT    NOT NULL,
    at_ms                       INTEGER NOT NULL,
    CHECK (debit_account_id <> credit_account_id)
);
CREATE INDEX ledger_transfers_by_actor ON ledger_transfers (actor_account_id, at_ms);

-- The two entries of each transfer: the debit (negative) and the credit (positive).
CREATE TABLE ledger_entries (
    transfer_seq   INTEGER NOT NULL REFERENCES ledger_transfers (seq),
    account_id     INTEGER NOT NULL REFERENCES ledger_accounts (id),
    amount_micros  INTEGER NOT NULL CHECK (amount_micros <> 0),
    PRIMARY KEY (transfer_seq, account_id)
);
CREATE INDEX ledger_entries_by_account ON ledger_entries (account_id, transfer_seq);

-- Compute boosts bought with `purchase_compute` transfers, written in the same transaction.
CREATE TABLE compute_boosts (
    transfer_seq  INTEGER PRIMARY KEY REFERENCES ledger_transfers (seq),
    agent_id      INTEGER NOT NULL REFERENCES agents (id),
    tier          TEXT    NOT NULL,
    starts_ms     INTEGER NOT NULL,
    ends_ms       INTEGER NOT NULL,
    CHECK (ends_ms > starts_ms)
);
CREATE INDEX compute_boosts_by_agent ON compute_boosts (agent_id, ends_ms);

CREATE TRIGGER ledger_transfers_no_update BEFORE UPDATE ON ledger_transfers
BEGIN
    SELECT RAISE(ABORT, 'ledger_transfers is append-only');
END;
CREATE TRIGGER ledger_transfers_no_delete BEFORE DELETE ON ledger_transfers
BEGIN
    SELECT RAISE(ABORT, 'ledger_transfers is append-only');
END;
CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
BEGIN
    SELECT RAISE(ABORT, 'ledger_entries is append-only');
END;
CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
BEGIN
    SELECT RAISE(ABORT, 'ledger_entries is append-only');
END;
CREATE TRIGGER compute_boosts_no_update BEFORE UPDATE ON compute_boosts
BEGIN
    SELECT RAISE(ABORT, 'compute_boosts is append-only');
END;
CREATE TRIGGER compute_boosts_no_delete BEFORE DELETE ON compute_boosts
BEGIN
    SELECT RAISE(ABORT, 'compute_boosts is append-only');
END;
