-- Parley's local cache. Everything is scoped by account (`<appKey>:<userId>`).
-- Secrets are never stored here: they live in the OS keyring.

CREATE TABLE accounts (
    id           TEXT PRIMARY KEY,
    app_key      TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    display_name TEXT,
    user_key     TEXT NOT NULL,
    endpoints    TEXT NOT NULL,
    is_agent     INTEGER NOT NULL,
    added_at     INTEGER NOT NULL
);

CREATE TABLE conversations (
    account          TEXT NOT NULL,
    id               TEXT NOT NULL,
    group_id         INTEGER,
    client_group_id  TEXT,
    title            TEXT NOT NULL,
    group_type       INTEGER NOT NULL,
    status           INTEGER NOT NULL,
    assignee         TEXT,
    customer_id      TEXT,
    image_url        TEXT,
    members          TEXT NOT NULL,
    metadata         TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    last_activity_at INTEGER NOT NULL,
    preview          TEXT,
    unread           INTEGER NOT NULL DEFAULT 0,
    muted_until      INTEGER,
    -- View membership, computed on write (see store.rs `ViewFlags`).
    v_open           INTEGER NOT NULL,
    v_mine           INTEGER NOT NULL,
    v_unassigned     INTEGER NOT NULL,
    v_closed         INTEGER NOT NULL,
    v_spam           INTEGER NOT NULL,
    PRIMARY KEY (account, id)
);

-- One partial index per view, in the default sort order, so a page is an index range scan.
CREATE INDEX conv_all ON conversations (account, last_activity_at, id) WHERE v_open = 1;
CREATE INDEX conv_mine ON conversations (account, last_activity_at, id) WHERE v_mine = 1;
CREATE INDEX conv_unassigned ON conversations (account, last_activity_at, id) WHERE v_unassigned = 1;
CREATE INDEX conv_closed ON conversations (account, last_activity_at, id) WHERE v_closed = 1;
CREATE INDEX conv_spam ON conversations (account, last_activity_at, id) WHERE v_spam = 1;

-- View counts are counters kept by triggers, never recomputed by a GROUP BY.
CREATE TABLE view_counts (
    account    TEXT PRIMARY KEY,
    mine       INTEGER NOT NULL DEFAULT 0,
    unassigned INTEGER NOT NULL DEFAULT 0,
    open       INTEGER NOT NULL DEFAULT 0,
    closed     INTEGER NOT NULL DEFAULT 0,
    spam       INTEGER NOT NULL DEFAULT 0,
    unread     INTEGER NOT NULL DEFAULT 0
);

CREATE TRIGGER conv_counts_insert AFTER INSERT ON conversations BEGIN
    INSERT OR IGNORE INTO view_counts (account) VALUES (NEW.account);
    UPDATE view_counts SET
        mine = mine + NEW.v_mine,
        unassigned = unassigned + NEW.v_unassigned,
        open = open + NEW.v_open,
        closed = closed + NEW.v_closed,
        spam = spam + NEW.v_spam,
        unread = unread + NEW.v_open * NEW.unread
    WHERE account = NEW.account;
END;

CREATE TRIGGER conv_counts_delete AFTER DELETE ON conversations BEGIN
    UPDATE view_counts SET
        mine = mine - OLD.v_mine,
        unassigned = unassigned - OLD.v_unassigned,
        open = open - OLD.v_open,
        closed = closed - OLD.v_closed,
        spam = spam - OLD.v_spam,
        unread = unread - OLD.v_open * OLD.unread
    WHERE account = OLD.account;
END;

CREATE TRIGGER conv_counts_update AFTER UPDATE OF v_open, v_mine, v_unassigned, v_closed, v_spam, unread
ON conversations BEGIN
    UPDATE view_counts SET
        mine = mine - OLD.v_mine + NEW.v_mine,
        unassigned = unassigned - OLD.v_unassigned + NEW.v_unassigned,
        open = open - OLD.v_open + NEW.v_open,
        closed = closed - OLD.v_closed + NEW.v_closed,
        spam = spam - OLD.v_spam + NEW.v_spam,
        unread = unread - OLD.v_open * OLD.unread + NEW.v_open * NEW.unread
    WHERE account = NEW.account;
END;

CREATE TABLE messages (
    account         TEXT NOT NULL,
    key             TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    sender_id       TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    text            TEXT NOT NULL,
    content_type    INTEGER NOT NULL,
    metadata        TEXT NOT NULL,
    attachment      TEXT,
    direction       INTEGER NOT NULL,
    state           INTEGER NOT NULL,
    client_key      TEXT,
    search_text     TEXT NOT NULL
);
CREATE UNIQUE INDEX messages_key ON messages (account, key);
CREATE INDEX messages_timeline ON messages (account, conversation_id, created_at, key);
CREATE INDEX messages_client_key ON messages (account, client_key) WHERE client_key IS NOT NULL;

CREATE VIRTUAL TABLE messages_fts USING fts5 (
    search_text,
    content = 'messages',
    content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, search_text) VALUES (NEW.rowid, NEW.search_text);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, search_text) VALUES ('delete', OLD.rowid, OLD.search_text);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF search_text ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, search_text) VALUES ('delete', OLD.rowid, OLD.search_text);
    INSERT INTO messages_fts (rowid, search_text) VALUES (NEW.rowid, NEW.search_text);
END;

CREATE TABLE contacts (
    account      TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    display_name TEXT,
    email        TEXT,
    phone        TEXT,
    image_url    TEXT,
    metadata     TEXT NOT NULL,
    online       INTEGER NOT NULL,
    last_seen_at INTEGER,
    role_type    INTEGER NOT NULL,
    search_text  TEXT NOT NULL
);
CREATE UNIQUE INDEX contacts_key ON contacts (account, user_id);

CREATE VIRTUAL TABLE contacts_fts USING fts5 (
    search_text,
    content = 'contacts',
    content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER contacts_fts_insert AFTER INSERT ON contacts BEGIN
    INSERT INTO contacts_fts (rowid, search_text) VALUES (NEW.rowid, NEW.search_text);
END;
CREATE TRIGGER contacts_fts_delete AFTER DELETE ON contacts BEGIN
    INSERT INTO contacts_fts (contacts_fts, rowid, search_text) VALUES ('delete', OLD.rowid, OLD.search_text);
END;
CREATE TRIGGER contacts_fts_update AFTER UPDATE OF search_text ON contacts BEGIN
    INSERT INTO contacts_fts (contacts_fts, rowid, search_text) VALUES ('delete', OLD.rowid, OLD.search_text);
    INSERT INTO contacts_fts (rowid, search_text) VALUES (NEW.rowid, NEW.search_text);
END;

CREATE TABLE outbox (
    account         TEXT NOT NULL,
    client_key      TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    text            TEXT NOT NULL,
    content_type    INTEGER NOT NULL,
    metadata        TEXT NOT NULL,
    file_meta_json  TEXT,
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    failed          INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account, client_key)
);

CREATE TABLE cursors (
    account TEXT NOT NULL,
    name    TEXT NOT NULL,
    value   INTEGER NOT NULL,
    PRIMARY KEY (account, name)
);

CREATE TABLE drafts (
    account         TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    text            TEXT NOT NULL,
    PRIMARY KEY (account, conversation_id)
);

CREATE TABLE seen_envelopes (
    account TEXT NOT NULL,
    id      TEXT NOT NULL,
    seen_at INTEGER NOT NULL,
    PRIMARY KEY (account, id)
);
CREATE INDEX seen_envelopes_age ON seen_envelopes (seen_at);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
