-- fanbot schema 7: what `fanbot status` reads about the running bot.
--
-- `heartbeats`: one row per running process, keyed by the shard set it serves ('all', or
-- '0-3 of 8'). The bot rewrites its row every `interval_seconds` and deletes it on a clean
-- shutdown, so a row older than three intervals is a process that died. Times are real UTC
-- time (never the bot's virtual clock): another process compares them with its own.
-- `invalid_requests`: Discord's invalid requests (401, 403, 429) in its current 10-minute
-- window, when the bot counts them; NULL when it does not.
--
-- `pack_problems`: the content pack files the last start refused, and what the bot serves
-- instead (the pack's last good import, or nothing). Replaced at every start.

CREATE TABLE heartbeats (
    shard_set        TEXT PRIMARY KEY,
    pid              INTEGER NOT NULL,
    host             TEXT NOT NULL,
    started_at       TEXT NOT NULL,
    beat_at          TEXT NOT NULL,
    interval_seconds REAL NOT NULL,
    servers          INTEGER NOT NULL,
    invalid_requests INTEGER
);

CREATE TABLE pack_problems (
    file     TEXT PRIMARY KEY,
    problem  TEXT NOT NULL,
    serving  TEXT NOT NULL,
    seen_at  TEXT NOT NULL
);
