-- The admin pages: account locks, device state for the dashboard, accent-free pupil search.

CREATE TABLE login_locks (                       -- 10 failures in 15 minutes lock for 15 minutes
    id              INTEGER PRIMARY KEY,
    username        TEXT NOT NULL,
    locked_at       TEXT NOT NULL,
    locked_until    TEXT NOT NULL
) STRICT;
CREATE INDEX login_locks_user ON login_locks(username, locked_until);

CREATE TABLE devices (                           -- readers, printers and tills as last reported
    name            TEXT PRIMARY KEY,            -- e.g. canteen-1, card-printer
    kind            TEXT NOT NULL CHECK (kind IN ('reader', 'printer', 'till')),
    state           TEXT NOT NULL CHECK (state IN ('ok', 'warning', 'error', 'offline')),
    detail          TEXT NOT NULL DEFAULT '',
    seen_at         TEXT NOT NULL
) STRICT;

-- Names folded for search: "zukauskas" finds "Žukauskas". The index reads the pupils table
-- (external content), so the names are kept once; the triggers keep the index in step.
CREATE VIRTUAL TABLE pupils_search USING fts5(
    first_name, last_name,
    content = 'pupils', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO pupils_search(pupils_search) VALUES ('rebuild');
CREATE TRIGGER pupils_search_insert AFTER INSERT ON pupils BEGIN
    INSERT INTO pupils_search(rowid, first_name, last_name)
    VALUES (new.id, new.first_name, new.last_name);
END;
CREATE TRIGGER pupils_search_delete AFTER DELETE ON pupils BEGIN
    INSERT INTO pupils_search(pupils_search, rowid, first_name, last_name)
    VALUES ('delete', old.id, old.first_name, old.last_name);
END;
CREATE TRIGGER pupils_search_update AFTER UPDATE OF first_name, last_name ON pupils BEGIN
    INSERT INTO pupils_search(pupils_search, rowid, first_name, last_name)
    VALUES ('delete', old.id, old.first_name, old.last_name);
    INSERT INTO pupils_search(rowid, first_name, last_name)
    VALUES (new.id, new.first_name, new.last_name);
END;
