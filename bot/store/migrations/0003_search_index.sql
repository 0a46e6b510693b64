-- fanbot schema 3: autocomplete that stays fast with 100,000 names in a season.
--
-- `search_items` holds one row per searchable item (character, person, storyline) and per
-- season it belongs to, so a search never has to work out season membership. Rows of one
-- season and kind are inserted in pack order, so within them `id` order is pack order and a
-- search can stop at the first matches in id order instead of sorting every match.
-- `search_trigrams` (FTS5, trigram tokenizer) finds the rows whose `search` text contains a
-- query word of three characters or more; shorter words are matched by scanning. Both are
-- filled by bot.store.packs at import, and deleted with their season (triggers keep the
-- FTS index in step).

CREATE TABLE search_items (
    id          INTEGER PRIMARY KEY,
    season_id   INTEGER NOT NULL REFERENCES seasons (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('character', 'person', 'storyline')),
    item_id     INTEGER NOT NULL,  -- characters.id, people.id or storylines.id
    key         TEXT NOT NULL,
    ordinal     INTEGER NOT NULL,
    name_folded TEXT NOT NULL,
    search      TEXT NOT NULL
);
-- (season, kind) lists a season's items in id (= pack) order; name_folded serves exact and
-- prefix matches; key serves lookups by key.
CREATE INDEX search_items_season ON search_items (season_id, kind);
CREATE INDEX search_items_name ON search_items (season_id, kind, name_folded);
CREATE INDEX search_items_key ON search_items (season_id, kind, key);

CREATE VIRTUAL TABLE search_trigrams USING fts5 (
    search, content = 'search_items', content_rowid = 'id', tokenize = 'trigram'
);
CREATE TRIGGER search_items_added AFTER INSERT ON search_items BEGIN
    INSERT INTO search_trigrams (rowid, search) VALUES (new.id, new.search);
END;
CREATE TRIGGER search_items_removed AFTER DELETE ON search_items BEGIN
    INSERT INTO search_trigrams (search_trigrams, rowid, search)
    VALUES ('delete', old.id, old.search);
END;

-- What is already imported.
INSERT INTO search_items (season_id, kind, item_id, key, ordinal, name_folded, search)
SELECT m.season_id, 'character', x.id, x.key, x.ordinal, x.name_folded, x.search
FROM (SELECT season_id, character_id AS item_id FROM castings WHERE character_id IS NOT NULL
      UNION SELECT st.season_id, sc.character_id FROM storyline_characters sc
            JOIN storylines st ON st.id = sc.storyline_id) m
JOIN characters x ON x.id = m.item_id
ORDER BY m.season_id, x.ordinal;

INSERT INTO search_items (season_id, kind, item_id, key, ordinal, name_folded, search)
SELECT m.season_id, 'person', x.id, x.key, x.ordinal, x.name_folded, x.search
FROM (SELECT season_id, person_id AS item_id FROM castings
      UNION SELECT q.season_id, qp.person_id FROM quote_people qp
            JOIN quotes q ON q.id = qp.quote_id) m
JOIN people x ON x.id = m.item_id
ORDER BY m.season_id, x.ordinal;

INSERT INTO search_items (season_id, kind, item_id, key, ordinal, name_folded, search)
SELECT season_id, 'storyline', id, key, ordinal, title_folded, search FROM storylines
ORDER BY season_id, ordinal;
