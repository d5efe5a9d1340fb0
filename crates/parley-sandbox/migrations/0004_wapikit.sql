-- WapiKit (WhatsApp team inbox, `/api/...`): the server's API key secret, organisations, users
-- and their memberships, WhatsApp contacts, conversations, messages and tags. Times are ms.

CREATE TABLE wapikit_server (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    -- hex; signs every API key (HS256), like WapiKit's app.jwt_secret
    jwt_secret  TEXT NOT NULL
);

CREATE TABLE wapikit_orgs (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE wapikit_users (
    id          TEXT PRIMARY KEY NOT NULL,
    email       TEXT NOT NULL UNIQUE,
    username    TEXT NOT NULL,
    name        TEXT NOT NULL,
    -- Active | Inactive | Deleted
    status      TEXT NOT NULL DEFAULT 'Active',
    created_at  INTEGER NOT NULL
);

CREATE TABLE wapikit_members (
    id            TEXT PRIMARY KEY NOT NULL,
    org_id        TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    -- Owner | Member
    access_level  TEXT NOT NULL,
    -- JSON array of OrganizationRoleSchema
    roles         TEXT NOT NULL DEFAULT '[]',
    created_at    INTEGER NOT NULL,
    UNIQUE (org_id, user_id)
);

CREATE TABLE wapikit_contacts (
    seq         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    org_id      TEXT NOT NULL,
    name        TEXT NOT NULL,
    phone       TEXT NOT NULL,
    attributes  TEXT NOT NULL DEFAULT '{}',
    status      TEXT NOT NULL DEFAULT 'Active',
    created_at  INTEGER NOT NULL,
    UNIQUE (org_id, phone)
);

CREATE TABLE wapikit_conversations (
    seq                 INTEGER PRIMARY KEY,
    id                  TEXT NOT NULL UNIQUE,
    org_id              TEXT NOT NULL,
    contact_id          TEXT NOT NULL,
    campaign_id         TEXT,
    -- Contact | Campaign
    initiated_by        TEXT NOT NULL,
    -- Active | Closed | Deleted
    status              TEXT NOT NULL,
    assigned_member_id  TEXT,
    created_at          INTEGER NOT NULL
);
CREATE INDEX wapikit_conversations_org ON wapikit_conversations (org_id, status);

CREATE TABLE wapikit_messages (
    seq                  INTEGER PRIMARY KEY,
    id                   TEXT NOT NULL UNIQUE,
    org_id               TEXT NOT NULL,
    conversation_id      TEXT NOT NULL,
    -- InBound | OutBound
    direction            TEXT NOT NULL,
    status               TEXT NOT NULL,
    message_type         TEXT NOT NULL,
    -- JSON object
    message_data         TEXT NOT NULL,
    reply_to             TEXT,
    whatsapp_message_id  TEXT,
    created_at           INTEGER NOT NULL
);
CREATE INDEX wapikit_messages_conversation ON wapikit_messages (conversation_id, seq);
CREATE INDEX wapikit_messages_org ON wapikit_messages (org_id, seq);

CREATE TABLE wapikit_tags (
    id          TEXT PRIMARY KEY NOT NULL,
    org_id      TEXT NOT NULL,
    label       TEXT NOT NULL
);

CREATE TABLE wapikit_conversation_tags (
    conversation_id  TEXT NOT NULL,
    tag_id           TEXT NOT NULL,
    PRIMARY KEY (conversation_id, tag_id)
);
