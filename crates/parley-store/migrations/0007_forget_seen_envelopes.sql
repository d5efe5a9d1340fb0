-- Real-time notification ids are no longer kept in the cache: like the official SDKs (Android
-- keeps the last ~20 ids in memory), the client remembers the recent ones in memory, which is
-- what a duplicate needs (the broker redelivers nothing after a restart: QoS 0), and an id no
-- longer costs a write of its own per notification.
DROP TABLE seen_envelopes;
