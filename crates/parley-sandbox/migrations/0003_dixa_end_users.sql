-- Dixa (dev.dixa.io): the organisation's API tokens, its end users (contacts) with custom
-- attributes, their conversations and anonymization requests. Times are milliseconds.

CREATE TABLE dixa_tokens (
    token       TEXT PRIMARY KEY NOT NULL,
    -- the agent who created the token: `requestedBy` of the requests made with it
    agent_id    TEXT NOT NULL,
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE dixa_end_users (
    -- list order and page cursor
    seq                       INTEGER PRIMARY KEY,
    id                        TEXT NOT NULL UNIQUE,
    display_name              TEXT,
    email                     TEXT,
    phone_number              TEXT,
    additional_emails         TEXT NOT NULL DEFAULT '[]',
    additional_phone_numbers  TEXT NOT NULL DEFAULT '[]',
    first_name                TEXT,
    last_name                 TEXT,
    middle_names              TEXT NOT NULL DEFAULT '[]',
    avatar_url                TEXT,
    external_id               TEXT,
    created_at                INTEGER NOT NULL,
    updated_at                INTEGER NOT NULL,
    anonymized_at             INTEGER
);
-- Primary email and phone number identify one end user (anonymized users have neither).
CREATE UNIQUE INDEX dixa_end_users_email ON dixa_end_users(email COLLATE NOCASE);
CREATE UNIQUE INDEX dixa_end_users_phone ON dixa_end_users(phone_number);
CREATE INDEX dixa_end_users_external ON dixa_end_users(external_id);

CREATE TABLE dixa_custom_attributes (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    identifier  TEXT NOT NULL UNIQUE,
    -- 'Text' (value: a string) or 'Select' (value: a list of `options`)
    input_type  TEXT NOT NULL,
    options     TEXT NOT NULL DEFAULT '[]'
);

CREATE TABLE dixa_end_user_attributes (
    user_id       TEXT NOT NULL,
    attribute_id  TEXT NOT NULL,
    -- JSON: a string or a list of strings
    value         TEXT NOT NULL,
    PRIMARY KEY (user_id, attribute_id)
);

CREATE TABLE dixa_conversations (
    id                INTEGER PRIMARY KEY,
    requester_id      TEXT NOT NULL,
    channel           TEXT NOT NULL,
    direction         TEXT,
    -- Open, Pending, AwaitingPending or Closed
    state             TEXT NOT NULL,
    state_updated_at  INTEGER NOT NULL,
    created_at        INTEGER NOT NULL,
    agent_id          TEXT,
    assigned_at       INTEGER,
    queue_id          TEXT,
    queued_at         INTEGER,
    language          TEXT,
    -- JSON {name, version, ipAddress, originatingUrl} (chat conversations)
    browser_info      TEXT,
    link_parent_id    INTEGER,
    anonymized_at     INTEGER
);
CREATE INDEX dixa_conversations_requester ON dixa_conversations(requester_id, id);

CREATE TABLE dixa_anonymizations (
    id            TEXT PRIMARY KEY NOT NULL,
    target_id     TEXT NOT NULL,
    -- User (conversations and messages are anonymized through other endpoints)
    entity        TEXT NOT NULL,
    requested_by  TEXT NOT NULL,
    initiated_at  INTEGER NOT NULL,
    processed_at  INTEGER
);
CREATE INDEX dixa_anonymizations_target ON dixa_anonymizations(target_id);
