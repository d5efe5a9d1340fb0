-- Canned responses: saved replies inserted with "/shortcut" in the composer, per account.
CREATE TABLE canned_responses (
    account    TEXT NOT NULL,
    id         TEXT NOT NULL,
    shortcut   TEXT NOT NULL,
    text       TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (account, id)
);

-- The contact panel lists a customer's previous conversations.
CREATE INDEX conv_customer ON conversations (account, customer_id, last_activity_at)
    WHERE customer_id IS NOT NULL;
