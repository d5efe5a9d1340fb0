-- The message search index keeps only which messages hold a word (detail = none: no word
-- positions; a search asks for words and word prefixes, never phrases), and no longer reads
-- text back from `messages` (contentless, its rows deleted by rowid). A message's text is
-- then stored once: `search_text` holds an HTML message's text without its tags, and is ''
-- for any other, whose `text` the index reads. Storing a batch of messages writes about a
-- third less (see issue 7's ingest figures).
DROP TRIGGER messages_fts_insert;
DROP TRIGGER messages_fts_delete;
DROP TRIGGER messages_fts_update;
DROP TABLE messages_fts;
CREATE VIRTUAL TABLE messages_fts USING fts5 (
    search_text,
    content = '',
    contentless_delete = 1,
    detail = none,
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO messages_fts (rowid, search_text) SELECT rowid, search_text FROM messages;
UPDATE messages SET search_text = '' WHERE content_type != 3;

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
