-- fanbot schema 5: countdowns to a server's own Discord scheduled events.
--
-- `server_events`: what the bot last knew of each scheduled event a countdown targets, kept
-- current from the gateway (create, update, delete) and reconciled with REST at start and
-- after a resume. A countdown to one is a `subscriptions` row whose event_ref is
-- 'server-event:<event id>'. `state` is Discord's status by name, or 'deleted'.
-- `started_at` is when the event went active (it may start before its scheduled time).
--
-- `deliveries.tried_due_at`: the due time a post had when a try of it ended without a clear
-- answer (a timeout, a 5xx): it may have gone out. Before the row is sent again, the bot looks
-- for that post in the channel; the row's due time may have moved since with its event.

CREATE TABLE server_events (
    guild_id    INTEGER NOT NULL,
    event_id    INTEGER NOT NULL,
    name        TEXT NOT NULL,
    description TEXT,
    starts_at   TEXT NOT NULL,
    ends_at     TEXT,
    state       TEXT NOT NULL
                CHECK (state IN ('scheduled', 'active', 'completed', 'cancelled', 'deleted')),
    channel_id  INTEGER,
    location    TEXT,
    user_count  INTEGER,
    started_at  TEXT,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (guild_id, event_id)
);

ALTER TABLE deliveries ADD COLUMN tried_due_at TEXT;
