-- fanbot schema 2: countdown reminders.
--
-- `subscriptions`: one per guild and event. `event_ref` names a content event as
-- "<show_key>/<season_number>/<event_key>" so that it survives pack re-imports (event ids do
-- not). `milestones` is a canonical comma list such as '30d,14d,7d,3d,1d,1h,0'.
--
-- `deliveries`: the outbox, one row per guild, event and milestone: the code of what the row
-- posts ('7d', '1h', '0', or 'daily:9' for the daily post nine days before the event's day),
-- written and read by bot.reminders.milestones (Milestone, DailyPost, milestone_from_code).
-- pending -> sending -> sent | skipped_stale | skipped_superseded | failed; pending ->
-- cancelled. `nonce` is derived from the key (bot.store.countdown_models.delivery_nonce) so
-- that a retried post is deduplicated by Discord.
--
-- Times are UTC ISO 8601 text: 'YYYY-MM-DDTHH:MM:SS+00:00', so text order is time order.

CREATE TABLE subscriptions (
    guild_id           INTEGER NOT NULL,
    event_ref          TEXT NOT NULL,
    channel_id         INTEGER NOT NULL,
    role_id            INTEGER,
    milestones         TEXT NOT NULL,
    status             TEXT NOT NULL DEFAULT 'active'
                       CHECK (status IN ('active', 'paused', 'stopped')),
    pause_reason       TEXT,
    daily_time         TEXT,  -- 'HH:MM', local to daily_timezone
    daily_timezone     TEXT,  -- IANA name
    daily_days         INTEGER,
    scheduled_event_id INTEGER,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    PRIMARY KEY (guild_id, event_ref)
);
CREATE INDEX subscriptions_event ON subscriptions (event_ref, status);
CREATE INDEX subscriptions_status ON subscriptions (status);

CREATE TABLE deliveries (
    guild_id   INTEGER NOT NULL,
    event_ref  TEXT NOT NULL,
    milestone  TEXT NOT NULL,
    due_at     TEXT NOT NULL,
    status     TEXT NOT NULL DEFAULT 'pending'
               CHECK (status IN ('pending', 'sending', 'sent', 'skipped_stale',
                                 'skipped_superseded', 'cancelled', 'failed')),
    channel_id INTEGER NOT NULL,
    role_id    INTEGER,
    nonce      TEXT NOT NULL CHECK (length(nonce) <= 25),
    message_id INTEGER,
    attempts   INTEGER NOT NULL DEFAULT 0,
    claimed_at TEXT,
    settled_at TEXT,
    detail     TEXT,  -- why a row was skipped, cancelled or failed
    PRIMARY KEY (guild_id, event_ref, milestone),
    FOREIGN KEY (guild_id, event_ref)
        REFERENCES subscriptions (guild_id, event_ref) ON DELETE CASCADE
);
CREATE INDEX deliveries_status_due ON deliveries (status, due_at);
