-- fanbot schema 1: content for many shows, imported from content packs.
--
-- Every content row belongs to the pack it came from (pack_id, ON DELETE CASCADE: re-importing
-- a pack deletes its rows and inserts the new ones) and names its source (source_id).
-- `ordinal` is the position of the item in its pack file, the default display order.
-- `*_folded` and `search` columns hold bot.store.text.fold() of names, for search.
-- Times are UTC ISO 8601 text: 'YYYY-MM-DDTHH:MM:SS+00:00'.

CREATE TABLE packs (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    title        TEXT NOT NULL,
    version      TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    imported_at  TEXT NOT NULL
);

CREATE TABLE sources (
    id        INTEGER PRIMARY KEY,
    pack_id   INTEGER NOT NULL REFERENCES packs (id) ON DELETE CASCADE,
    key       TEXT NOT NULL,
    ordinal   INTEGER NOT NULL,
    title     TEXT NOT NULL,
    publisher TEXT,
    url       TEXT,
    published TEXT,  -- 'YYYY-MM-DD'
    UNIQUE (pack_id, key)
);

CREATE TABLE shows (
    id           INTEGER PRIMARY KEY,
    pack_id      INTEGER NOT NULL REFERENCES packs (id) ON DELETE CASCADE,
    source_id    INTEGER NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    key          TEXT NOT NULL,
    title        TEXT NOT NULL,
    title_folded TEXT NOT NULL,
    platform     TEXT,
    UNIQUE (pack_id, key)
);
CREATE INDEX shows_key ON shows (key);
CREATE INDEX shows_title_folded ON shows (title_folded);
CREATE INDEX shows_source ON shows (source_id);

CREATE TABLE seasons (
    id         INTEGER PRIMARY KEY,
    pack_id    INTEGER NOT NULL REFERENCES packs (id) ON DELETE CASCADE,
    show_id    INTEGER NOT NULL REFERENCES shows (id) ON DELETE CASCADE,
    source_id  INTEGER NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    number     INTEGER NOT NULL,
    title      TEXT NOT NULL,
    synopsis   TEXT NOT NULL,
    is_current INTEGER NOT NULL DEFAULT 0 CHECK (is_current IN (0, 1)),
    UNIQUE (show_id, number)
);
CREATE INDEX seasons_pack ON seasons (pack_id);
CREATE INDEX seasons_source ON seasons (source_id);

CREATE TABLE people (
    id          INTEGER PRIMARY KEY,
    pack_id     INTEGER NOT NULL REFERENCES packs (id) ON DELETE CASCADE,
    source_id   INTEGER NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    key         TEXT NOT NULL,
    ordinal     INTEGER NOT NULL,
    name        TEXT NOT NULL,
    name_folded TEXT NOT NULL,
    search      TEXT NOT NULL,  -- folded name + the names of their characters
    about       TEXT,
    UNIQUE (pack_id, key)
);
CREATE INDEX people_name_folded ON people (name_folded);
CREATE INDEX people_source ON people (source_id);

CREATE TABLE characters (
    id          INTEGER PRIMARY KEY,
    pack_id     INTEGER NOT NULL REFERENCES packs (id) ON DELETE CASCADE,
    source_id   INTEGER NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    key         TEXT NOT NULL,
    ordinal     INTEGER NOT NULL,
    name        TEXT NOT NULL,
    name_folded TEXT NOT NULL,
    search      TEXT NOT NULL,  -- folded name + the names of the people who play them
    about       TEXT,
    UNIQUE (pack_id, key)
);
CREATE INDEX characters_name_folded ON characters (name_folded);
CREATE INDEX characters_source ON characters (source_id);

CREATE TABLE castings (
    id           INTEGER PRIMARY KEY,
    pack_id      INTEGER NOT NULL REFERENCES packs (id) ON DELETE CASCADE,
    source_id    INTEGER NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    season_id    INTEGER NOT NULL REFERENCES seasons (id) ON DELETE CASCADE,
    person_id    INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    character_id INTEGER REFERENCES characters (id) ON DELETE CASCADE,  -- NULL: role not named
    ordinal      INTEGER NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('returning', 'new')),
    note         TEXT
);
CREATE INDEX castings_season ON castings (season_id, ordinal);
CREATE INDEX castings_person ON castings (person_id);
CREATE INDEX castings_character ON castings (character_id);
CREATE INDEX castings_pack ON castings (pack_id);
CREATE INDEX castings_source ON castings (source_id);

CREATE TABLE storylines (
    id           INTEGER PRIMARY KEY,
    pack_id      INTEGER NOT NULL REFERENCES packs (id) ON DELETE CASCADE,
    source_id    INTEGER NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    season_id    INTEGER NOT NULL REFERENCES seasons (id) ON DELETE CASCADE,
    key          TEXT NOT NULL,
    ordinal      INTEGER NOT NULL,
    title        TEXT NOT NULL,
    title_folded TEXT NOT NULL,
    search       TEXT NOT NULL,  -- folded title + the names of its characters
    summary      TEXT NOT NULL,
    spoiler      INTEGER NOT NULL DEFAULT 0 CHECK (spoiler IN (0, 1)),
    UNIQUE (season_id, key)
);
CREATE INDEX storylines_season ON storylines (season_id, ordinal);
CREATE INDEX storylines_pack ON storylines (pack_id);
CREATE INDEX storylines_source ON storylines (source_id);

CREATE TABLE storyline_characters (
    storyline_id INTEGER NOT NULL REFERENCES storylines (id) ON DELETE CASCADE,
    character_id INTEGER NOT NULL REFERENCES characters (id) ON DELETE CASCADE,
    ordinal      INTEGER NOT NULL,
    PRIMARY KEY (storyline_id, character_id)
) WITHOUT ROWID;
CREATE INDEX storyline_characters_character ON storyline_characters (character_id);

CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    pack_id     INTEGER NOT NULL REFERENCES packs (id) ON DELETE CASCADE,
    source_id   INTEGER NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    season_id   INTEGER NOT NULL REFERENCES seasons (id) ON DELETE CASCADE,
    key         TEXT NOT NULL,
    ordinal     INTEGER NOT NULL,
    kind        TEXT NOT NULL
                CHECK (kind IN ('premiere', 'trailer', 'first_look', 'first_scene', 'announcement')),
    title       TEXT NOT NULL,
    starts_at   TEXT,           -- exact UTC moment, when the source gives one
    date_text   TEXT,           -- what the source says instead ("June 2023")
    sort_key    TEXT,           -- starts_at, or the known part of the date ('2023-06'); NULL last
    platform    TEXT,
    url         TEXT,
    description TEXT,
    UNIQUE (season_id, key)
);
CREATE INDEX events_season ON events (season_id, sort_key);
CREATE INDEX events_kind_starts_at ON events (kind, starts_at);
CREATE INDEX events_pack ON events (pack_id);
CREATE INDEX events_source ON events (source_id);

CREATE TABLE quotes (
    id        INTEGER PRIMARY KEY,
    pack_id   INTEGER NOT NULL REFERENCES packs (id) ON DELETE CASCADE,
    source_id INTEGER NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    season_id INTEGER NOT NULL REFERENCES seasons (id) ON DELETE CASCADE,
    ordinal   INTEGER NOT NULL,
    speaker   TEXT NOT NULL,
    text      TEXT NOT NULL,
    context   TEXT
);
CREATE INDEX quotes_season ON quotes (season_id, ordinal);
CREATE INDEX quotes_pack ON quotes (pack_id);
CREATE INDEX quotes_source ON quotes (source_id);

CREATE TABLE quote_people (
    quote_id  INTEGER NOT NULL REFERENCES quotes (id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    PRIMARY KEY (quote_id, person_id)
) WITHOUT ROWID;
CREATE INDEX quote_people_person ON quote_people (person_id);

CREATE TABLE notes (
    id        INTEGER PRIMARY KEY,
    pack_id   INTEGER NOT NULL REFERENCES packs (id) ON DELETE CASCADE,
    source_id INTEGER NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    show_id   INTEGER NOT NULL REFERENCES shows (id) ON DELETE CASCADE,
    season_id INTEGER REFERENCES seasons (id) ON DELETE CASCADE,  -- NULL: about the whole show
    key       TEXT NOT NULL,
    ordinal   INTEGER NOT NULL,
    text      TEXT NOT NULL,
    UNIQUE (show_id, key)
);
CREATE INDEX notes_season ON notes (season_id);
CREATE INDEX notes_pack ON notes (pack_id, ordinal);
CREATE INDEX notes_source ON notes (source_id);
