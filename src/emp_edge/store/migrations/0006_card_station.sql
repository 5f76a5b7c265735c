-- 0006 the card station: who asked for a card, the data printed on it (locked once the card is
-- personalised, §29), blank batches and what became of each blank, the handover and destruction
-- acts, the issue journal's recipient, replacement payments, and handovers of duty (§51).

ALTER TABLE cards ADD COLUMN requester_name TEXT NOT NULL DEFAULT '';      -- who asked (annex 1/2)
ALTER TABLE cards ADD COLUMN requester_relation TEXT NOT NULL DEFAULT '';  -- self, parent, guardian, carer
ALTER TABLE cards ADD COLUMN requester_contact TEXT NOT NULL DEFAULT '';   -- phone or e-mail
ALTER TABLE cards ADD COLUMN received_role TEXT;                           -- pupil, parent, class_teacher
ALTER TABLE cards ADD COLUMN paid_on TEXT;                                 -- replacement fee paid (§40.3)
ALTER TABLE cards ADD COLUMN payment_reference TEXT NOT NULL DEFAULT '';
ALTER TABLE cards ADD COLUMN data_deleted_on TEXT;                         -- personalisation data deleted
ALTER TABLE cards ADD COLUMN data_deleted_reason TEXT NOT NULL DEFAULT '';  -- (§24, §44)

-- a pupil has at most one open request: asked for, or made and not yet issued
CREATE UNIQUE INDEX cards_one_open_request ON cards(pupil_id)
    WHERE state IN ('requested', 'personalised');
CREATE INDEX cards_state ON cards(state, requested_on);

CREATE TABLE card_faces (                        -- what is printed on the card (§16), until purged
    card_id         INTEGER PRIMARY KEY REFERENCES cards(id),
    first_name      TEXT NOT NULL CHECK (first_name <> ''),
    last_name       TEXT NOT NULL CHECK (last_name <> ''),
    birth_date      TEXT NOT NULL,
    school_name     TEXT NOT NULL CHECK (school_name <> ''),
    school_code     TEXT NOT NULL CHECK (school_code <> ''),
    checked_at      TEXT,                        -- the staff checked the data before printing (§21)
    checked_by      INTEGER REFERENCES users(id),
    changed_at      TEXT NOT NULL
) STRICT;

ALTER TABLE card_other_entries ADD COLUMN director_order_date TEXT;  -- the order naming the pupil (§18)

-- Once a card has left "requested", nothing printed on it or bound to it may change (§29): the
-- store refuses first with a clear message, these triggers refuse whatever gets past it.
CREATE TRIGGER cards_locked BEFORE UPDATE ON cards
WHEN OLD.state <> 'requested' AND (
    OLD.pupil_id IS NOT NEW.pupil_id OR OLD.barcode IS NOT NEW.barcode
    OR OLD.valid_until IS NOT NEW.valid_until OR OLD.grade_at_issue IS NOT NEW.grade_at_issue
    OR OLD.chip_uid IS NOT NEW.chip_uid OR OLD.blank_id IS NOT NEW.blank_id
    OR OLD.issue_counter IS NOT NEW.issue_counter OR OLD.personalised_on IS NOT NEW.personalised_on)
BEGIN
    SELECT RAISE(ABORT, 'card_locked: a personalised card cannot be changed (§29)');
END;
CREATE TRIGGER card_faces_locked_insert BEFORE INSERT ON card_faces
WHEN (SELECT state FROM cards WHERE id = NEW.card_id) <> 'requested'
BEGIN
    SELECT RAISE(ABORT, 'card_locked: a personalised card cannot be changed (§29)');
END;
CREATE TRIGGER card_faces_locked_update BEFORE UPDATE ON card_faces
WHEN (SELECT state FROM cards WHERE id = OLD.card_id) <> 'requested'
BEGIN
    SELECT RAISE(ABORT, 'card_locked: a personalised card cannot be changed (§29)');
END;
CREATE TRIGGER card_other_entries_locked_insert BEFORE INSERT ON card_other_entries
WHEN (SELECT state FROM cards WHERE id = NEW.card_id) <> 'requested'
BEGIN
    SELECT RAISE(ABORT, 'card_locked: a personalised card cannot be changed (§29)');
END;
CREATE TRIGGER card_other_entries_locked_update BEFORE UPDATE ON card_other_entries
WHEN (SELECT state FROM cards WHERE id = OLD.card_id) <> 'requested'
BEGIN
    SELECT RAISE(ABORT, 'card_locked: a personalised card cannot be changed (§29)');
END;

CREATE TABLE blank_batches (                     -- blanks received from the municipality (§7–9)
    id              INTEGER PRIMARY KEY,
    received_on     TEXT NOT NULL,
    first_number    TEXT NOT NULL,
    last_number     TEXT NOT NULL,
    count           INTEGER NOT NULL CHECK (count > 0),
    document        TEXT NOT NULL DEFAULT '',    -- the delivery note's number
    user_id         INTEGER REFERENCES users(id),
    created_at      TEXT NOT NULL
) STRICT;
ALTER TABLE blanks ADD COLUMN batch_id INTEGER REFERENCES blank_batches(id);

CREATE TABLE blank_uses (                        -- what became of a blank that went through the printer
    blank_id        INTEGER PRIMARY KEY REFERENCES blanks(id),
    card_id         INTEGER NOT NULL REFERENCES cards(id),
    outcome         TEXT NOT NULL CHECK (outcome IN ('printed', 'spoiled')),
    reason          TEXT NOT NULL DEFAULT '',
    at              TEXT NOT NULL,
    user_id         INTEGER REFERENCES users(id)
) STRICT;
CREATE INDEX blank_uses_card ON blank_uses(card_id);

CREATE TABLE card_acts (                         -- handover acts (§35) and destruction acts (§44, §47)
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('handover', 'destruction')),
    made_on         TEXT NOT NULL,
    people          TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(people)),  -- names as signed
    user_id         INTEGER REFERENCES users(id),
    created_at      TEXT NOT NULL
) STRICT;

CREATE TABLE card_act_items (
    act_id          INTEGER NOT NULL REFERENCES card_acts(id),
    blank_id        INTEGER NOT NULL REFERENCES blanks(id),
    card_id         INTEGER REFERENCES cards(id),  -- NULL for a spoiled blank of no card
    state_before    TEXT NOT NULL,
    PRIMARY KEY (act_id, blank_id)
) STRICT;
CREATE INDEX card_act_items_card ON card_act_items(card_id);

CREATE TABLE duty_handovers (                    -- unissued cards and journals handed on (§51)
    id              INTEGER PRIMARY KEY,
    handed_on       TEXT NOT NULL,
    from_user       INTEGER NOT NULL REFERENCES users(id),
    to_user         INTEGER NOT NULL REFERENCES users(id),
    director_order  TEXT NOT NULL DEFAULT '',
    unissued_cards  INTEGER NOT NULL CHECK (unissued_cards >= 0),
    blanks_in_stock INTEGER NOT NULL CHECK (blanks_in_stock >= 0),
    note            TEXT NOT NULL DEFAULT '',
    user_id         INTEGER REFERENCES users(id),
    created_at      TEXT NOT NULL,
    CHECK (from_user <> to_user)
) STRICT;
