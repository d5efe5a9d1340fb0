-- A message names its account by a small number (`account_numbers.no`) instead of the
-- `<appKey>:<userId>` string, which every message stored three times (the row, the key index,
-- the timeline index): storing a batch writes less (see issue 7's ingest figures). The table
-- is rebuilt with its rowids, so the search index (keyed by rowid) stays as it is.
CREATE TABLE account_numbers (
    no      INTEGER PRIMARY KEY,
    account TEXT NOT NULL UNIQUE
);
INSERT INTO account_numbers (account) SELECT DISTINCT account FROM messages ORDER BY account;

CREATE TABLE messages_numbered (
    account_no      INTEGER NOT NULL,
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
INSERT INTO messages_numbered (rowid, account_no, key, conversation_id, sender_id, created_at,
    text, content_type, metadata, attachment, direction, state, client_key, search_text)
SELECT m.rowid, n.no, m.key, m.conversation_id, m.sender_id, m.created_at, m.text,
    m.content_type, m.metadata, m.attachment, m.direction, m.state, m.client_key, m.search_text
FROM messages m JOIN account_numbers n ON n.account = m.account;
-- Dropping the table drops its indexes and its search-index triggers, and fires none.
DROP TABLE messages;
ALTER TABLE messages_numbered RENAME TO messages;

CREATE UNIQUE INDEX messages_key ON messages (account_no, key);
CREATE INDEX messages_timeline ON messages (account_no, conversation_id, created_at, key);
CREATE INDEX messages_client_key ON messages (account_no, client_key) WHERE client_key IS NOT NULL;

CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, search_text)
    VALUES (NEW.rowid, iif(NEW.content_type = 3, NEW.search_text, NEW.text));
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    DELETE FROM messages_fts WHERE rowid = OLD.rowid;
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF text, content_type, search_text ON messages BEGIN
    DELETE FROM messages_fts WHERE rowid = OLD.rowid;
    INSERT INTO messages_fts (rowid, search_text)
    VALUES (NEW.rowid, iif(NEW.content_type = 3, NEW.search_text, NEW.text));
END;
