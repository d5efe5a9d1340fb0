-- Topic based (context based) chat: a conversation about a topic, between two users (backed
-- by a group of type 7) or inside a group.
CREATE TABLE topic_conversations (
    id            INTEGER PRIMARY KEY,
    topic_id      TEXT NOT NULL,
    topic_detail  TEXT,
    sender_id     TEXT NOT NULL,
    user_id       TEXT,
    group_id      INTEGER NOT NULL,
    closed        INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX topic_conversations_topic ON topic_conversations(topic_id, group_id);
