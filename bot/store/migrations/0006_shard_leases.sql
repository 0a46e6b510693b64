-- fanbot schema 6: which running process serves which shards of this database's bot, so
-- that a second process started for the same shards refuses to start (Discord would give
-- both every event, and both would post every reminder).
--
-- `owner`: "<host>:<pid>:<random>", one per process run; `shard_count` and `shard_ids`
-- ("0,1") are NULL for a process that serves every shard. `renewed_at`: wall-clock UTC,
-- renewed by the running process; a lease not renewed for a while is stale and taken over.

CREATE TABLE shard_leases (
    owner       TEXT PRIMARY KEY,
    host        TEXT NOT NULL,
    pid         INTEGER NOT NULL,
    shard_count INTEGER,
    shard_ids   TEXT,
    started_at  TEXT NOT NULL,
    renewed_at  TEXT NOT NULL
);
