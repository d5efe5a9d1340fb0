-- Message rowids become time-ordered (created_at << 20 | seq, see lib.rs `next_rowid`), so the
-- full-text index, which shares them, lists the newest matches first without a sort.
-- Existing rows keep their low 20 bits (unique below 1 M rows per millisecond).
UPDATE messages SET rowid = (max(created_at, 0) << 20) | (rowid & 1048575);
INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
