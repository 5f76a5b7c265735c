-- 0003 the terminals: every tap is one durable event; a card knows which of the pupil's cards it is.

ALTER TABLE cards ADD COLUMN issue_counter INTEGER CHECK (issue_counter >= 0);  -- on the chip's record

CREATE TABLE taps (                              -- one row per tap, written before its result is shown
    id              INTEGER PRIMARY KEY,
    event_id        TEXT NOT NULL UNIQUE,        -- the tap's unique id, also its outbox event id
    at              TEXT NOT NULL,
    terminal        TEXT NOT NULL,
    role            TEXT NOT NULL,               -- canteen, club, check
    uid_tail        TEXT NOT NULL DEFAULT '',    -- last 4 hex digits of the chip UID, never the whole
    card_id         INTEGER REFERENCES cards(id),
    pupil_id        INTEGER REFERENCES pupils(id),
    result          TEXT NOT NULL CHECK (result IN ('accepted', 'denied')),
    reason          TEXT NOT NULL,
    detail          TEXT NOT NULL DEFAULT ''
) STRICT;
-- No secondary index yet: each one is written on every tap; the parts that query taps add theirs.
