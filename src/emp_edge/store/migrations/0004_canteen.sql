-- 0004 the canteen: meals and their serving windows, items, what each till served, one free
-- meal per pupil, meal and day across all tills, parents' limits, and the tills' own state.

CREATE TABLE canteen_items (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE CHECK (name <> ''),
    price_cents     INTEGER NOT NULL CHECK (price_cents BETWEEN 0 AND 100000),
    meal_type       TEXT REFERENCES meal_types(code),  -- the meal this item is: free for the entitled
    active          INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
) STRICT;

CREATE TABLE meal_types (                        -- breakfast, lunch, afternoon …, with their windows
    code            TEXT PRIMARY KEY CHECK (code GLOB '[a-z]*' AND length(code) <= 32),
    name            TEXT NOT NULL CHECK (name <> ''),  -- as the school calls it
    serves_from     TEXT NOT NULL,               -- HH:MM, school time
    serves_until    TEXT NOT NULL,               -- HH:MM, the first minute it is no longer served
    default_item_id INTEGER REFERENCES canteen_items(id),  -- what a tap sells when nothing is picked
    CHECK (serves_from < serves_until)
) STRICT;
INSERT INTO meal_types (code, name, serves_from, serves_until) VALUES
    ('breakfast', 'Pusryčiai', '07:30', '09:00'),
    ('lunch', 'Pietūs', '11:00', '14:00'),
    ('afternoon', 'Pavakariai', '15:00', '16:30');

CREATE TABLE till_sales (                        -- what one accepted canteen tap served
    id              INTEGER PRIMARY KEY,
    event_id        TEXT NOT NULL UNIQUE,        -- the tap's event; its ledger row's too, if paid
    at              TEXT NOT NULL,
    day             TEXT NOT NULL,               -- the school's date of the sale
    till            TEXT NOT NULL,
    pupil_id        INTEGER NOT NULL REFERENCES pupils(id),
    meal_type       TEXT NOT NULL REFERENCES meal_types(code),  -- the window it was sold in
    paid_cents      INTEGER NOT NULL CHECK (paid_cents >= 0)
) STRICT;
CREATE INDEX till_sales_pupil_day ON till_sales(pupil_id, day);
CREATE INDEX till_sales_day ON till_sales(day, till);

CREATE TABLE till_sale_lines (
    sale_id         INTEGER NOT NULL REFERENCES till_sales(id),
    line            INTEGER NOT NULL CHECK (line >= 1),
    item_id         INTEGER NOT NULL REFERENCES canteen_items(id),
    name            TEXT NOT NULL,               -- as sold (an item may be renamed later)
    price_cents     INTEGER NOT NULL CHECK (price_cents >= 0),  -- charged: 0 for the free meal
    free            INTEGER NOT NULL CHECK (free IN (0, 1)),
    PRIMARY KEY (sale_id, line)
) STRICT;

CREATE TABLE free_meals (                        -- at most one free serving per pupil, meal and day
    pupil_id        INTEGER NOT NULL REFERENCES pupils(id),
    meal_type       TEXT NOT NULL REFERENCES meal_types(code),
    day             TEXT NOT NULL,
    sale_id         INTEGER NOT NULL UNIQUE REFERENCES till_sales(id),
    PRIMARY KEY (pupil_id, meal_type, day)
) STRICT;
CREATE INDEX free_meals_day ON free_meals(day, meal_type);

-- the prepaid ledger: how a top-up was paid, and which sale a refund gives back
ALTER TABLE ledger ADD COLUMN method TEXT NOT NULL DEFAULT ''
    CHECK (method IN ('', 'cash', 'bank'));
ALTER TABLE ledger ADD COLUMN refund_of TEXT REFERENCES ledger(event_id);
CREATE INDEX ledger_balance ON ledger(pupil_id, amount_cents);  -- a balance is one index range
CREATE INDEX ledger_refunds ON ledger(refund_of) WHERE refund_of IS NOT NULL;
CREATE INDEX ledger_at ON ledger(at);

CREATE TABLE canteen_limits (                    -- set by staff on a parent's request
    pupil_id        INTEGER PRIMARY KEY REFERENCES pupils(id),
    daily_limit_cents INTEGER CHECK (daily_limit_cents >= 0),  -- NULL: no daily limit
    note            TEXT NOT NULL DEFAULT '',    -- who asked, when
    changed_at      TEXT NOT NULL
) STRICT;

CREATE TABLE no_buy_items (                      -- items a parent asked the till not to sell
    pupil_id        INTEGER NOT NULL REFERENCES pupils(id),
    item_id         INTEGER NOT NULL REFERENCES canteen_items(id),
    PRIMARY KEY (pupil_id, item_id)
) STRICT;

CREATE TABLE till_state (                        -- what staff picked for the next tap; a held note
    till            TEXT PRIMARY KEY,
    picked          TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(picked)),  -- item ids, in order
    held_by         TEXT,                        -- the tap whose diet note awaits acknowledgement
    changed_at      TEXT NOT NULL
) STRICT;

CREATE TABLE canteen_days (                      -- a closed day: its free-meal counts are in the outbox
    day             TEXT PRIMARY KEY,
    closed_at       TEXT NOT NULL,
    event_id        TEXT NOT NULL UNIQUE
) STRICT;

CREATE TABLE pupil_photos (                      -- kept only until the card is made and issued (§24)
    pupil_id        INTEGER PRIMARY KEY REFERENCES pupils(id),
    jpeg            BLOB NOT NULL,
    added_at        TEXT NOT NULL
) STRICT;
