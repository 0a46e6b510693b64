-- fanbot schema 4: what this database last registered with Discord, so that a start with
-- unchanged commands makes no write (a sync is a rate-limited bulk overwrite, and discord.py
-- advises against syncing at every start).
--
-- `scope`: "<application id>/global" or "<application id>/guild/<guild id>".
-- `payload_hash`: SHA-256 of the commands' JSON as registered, keys sorted.

CREATE TABLE command_syncs (
    scope        TEXT PRIMARY KEY,
    payload_hash TEXT NOT NULL,
    synced_at    TEXT NOT NULL
);
