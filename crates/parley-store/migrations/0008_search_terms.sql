-- The words of the message search index (see src/terms.rs): a prefix query names the words it
-- stands for, so FTS5 walks their rows lazily from the newest instead of merging every match.
-- Filled here from the index itself; from then on, as messages are stored.
CREATE TABLE search_terms (term TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE VIRTUAL TABLE temp.messages_vocab USING fts5vocab('main', 'messages_fts', 'row');
INSERT OR IGNORE INTO search_terms (term) SELECT term FROM temp.messages_vocab;
DROP TABLE temp.messages_vocab;
