-- Parley sandbox schema: one application per database.

CREATE TABLE users (
    user_id              TEXT PRIMARY KEY NOT NULL,
    user_key             TEXT NOT NULL UNIQUE,
    display_name         TEXT,
    email                TEXT,
    phone                TEXT,
    image_link           TEXT,
    status_message       TEXT,
    password_hash        TEXT,
    role_type            INTEGER NOT NULL DEFAULT 3,
    user_type_id         INTEGER,
    metadata             TEXT NOT NULL DEFAULT '{}',
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    last_seen_at         INTEGER,
    last_logged_in_at    INTEGER,
    last_message_at      INTEGER,
    connected            INTEGER NOT NULL DEFAULT 0,
    availability         INTEGER NOT NULL DEFAULT 0,
    deactivated          INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX users_updated ON users(updated_at);
CREATE INDEX users_role ON users(role_type, created_at);

CREATE TABLE devices (
    device_key       TEXT PRIMARY KEY NOT NULL,
    user_id          TEXT NOT NULL REFERENCES users(user_id),
    device_type      INTEGER,
    registration_id  TEXT,
    created_at       INTEGER NOT NULL,
    logged_out_at    INTEGER
);
CREATE INDEX devices_user ON devices(user_id);

-- Applozic "groups" (a Kommunicate conversation is a group of type 10).
CREATE TABLE channels (
    id               INTEGER PRIMARY KEY,
    client_group_id  TEXT NOT NULL UNIQUE,
    name             TEXT NOT NULL,
    admin_id         TEXT,
    type             INTEGER NOT NULL,
    image_url        TEXT,
    parent_key       INTEGER,
    metadata         TEXT NOT NULL DEFAULT '{}',
    -- cached from metadata for support groups, so lists can filter on them
    status           INTEGER,
    assignee         TEXT,
    team_id          TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    last_message_at  INTEGER NOT NULL,
    deleted_at       INTEGER
);
CREATE INDEX channels_type_status ON channels(type, status, last_message_at);
CREATE INDEX channels_assignee ON channels(assignee, status, last_message_at);
CREATE INDEX channels_updated ON channels(updated_at);

CREATE TABLE channel_users (
    channel_id               INTEGER NOT NULL,
    user_id                  TEXT NOT NULL,
    role                     INTEGER NOT NULL DEFAULT 3,
    unread_count             INTEGER NOT NULL DEFAULT 0,
    read_up_to               INTEGER NOT NULL DEFAULT 0,
    read_at                  INTEGER,
    delivered_up_to          INTEGER NOT NULL DEFAULT 0,
    delivered_at             INTEGER,
    notification_after_time  INTEGER,
    joined_at                INTEGER NOT NULL,
    removed_at               INTEGER,
    PRIMARY KEY (channel_id, user_id)
) WITHOUT ROWID;
CREATE INDEX channel_users_user ON channel_users(user_id, channel_id);

CREATE TABLE messages (
    id               INTEGER PRIMARY KEY,
    key              TEXT NOT NULL UNIQUE,
    paired_key       TEXT UNIQUE,
    channel_id       INTEGER,
    sender_id        TEXT NOT NULL,
    recipient_id     TEXT,
    body             TEXT NOT NULL DEFAULT '',
    content_type     INTEGER NOT NULL DEFAULT 0,
    source           INTEGER NOT NULL DEFAULT 1,
    metadata         TEXT NOT NULL DEFAULT '{}',
    file_meta        TEXT,
    device_key       TEXT,
    conversation_id  INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    deleted_at       INTEGER
);
CREATE INDEX messages_channel ON messages(channel_id, created_at);
CREATE INDEX messages_sender ON messages(sender_id, created_at);
CREATE INDEX messages_recipient ON messages(recipient_id, created_at);
CREATE INDEX messages_created ON messages(created_at);
CREATE INDEX messages_updated ON messages(updated_at);

-- "delete for me"
CREATE TABLE message_hidden (
    message_id  INTEGER NOT NULL,
    user_id     TEXT NOT NULL,
    PRIMARY KEY (message_id, user_id)
) WITHOUT ROWID;

-- 1:1 receipts: reader's watermark per peer
CREATE TABLE direct_receipts (
    user_id          TEXT NOT NULL,
    peer_id          TEXT NOT NULL,
    read_up_to       INTEGER NOT NULL DEFAULT 0,
    read_at          INTEGER,
    delivered_up_to  INTEGER NOT NULL DEFAULT 0,
    delivered_at     INTEGER,
    PRIMARY KEY (user_id, peer_id)
) WITHOUT ROWID;

CREATE TABLE files (
    blob_key      TEXT PRIMARY KEY NOT NULL,
    owner_id      TEXT NOT NULL,
    name          TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size          INTEGER NOT NULL,
    data          BLOB NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE blocks (
    blocker_id    TEXT NOT NULL,
    blocked_id    TEXT NOT NULL,
    user_blocked  INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id)
) WITHOUT ROWID;

CREATE TABLE muted_users (
    user_id                  TEXT NOT NULL,
    muted_id                 TEXT NOT NULL,
    notification_after_time  INTEGER NOT NULL,
    PRIMARY KEY (user_id, muted_id)
) WITHOUT ROWID;

CREATE TABLE teams (
    team_id        TEXT PRIMARY KEY NOT NULL,
    name           TEXT NOT NULL,
    admin          TEXT,
    agent_routing  INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL
);

CREATE TABLE team_members (
    team_id  TEXT NOT NULL,
    user_id  TEXT NOT NULL,
    PRIMARY KEY (team_id, user_id)
) WITHOUT ROWID;

CREATE TABLE tags (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    color       TEXT NOT NULL,
    created_by  TEXT,
    created_at  INTEGER NOT NULL
);
