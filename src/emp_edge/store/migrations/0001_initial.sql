-- 0001 initial schema. A landed migration is never edited: change the schema in a new file.
-- Dates are ISO text (yyyy-mm-dd); moments are UTC ISO text with offset; money is integer cents.

CREATE TABLE schools (
    id              INTEGER PRIMARY KEY,
    code            TEXT NOT NULL UNIQUE,        -- identification code of the institution (§16.3)
    name            TEXT NOT NULL,
    municipality    TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE TABLE classes (
    id              INTEGER PRIMARY KEY,
    school_id       INTEGER NOT NULL REFERENCES schools(id),
    school_year     INTEGER NOT NULL,            -- year the school year began (1 September)
    grade           INTEGER NOT NULL CHECK (grade BETWEEN 1 AND 12),
    letter          TEXT NOT NULL DEFAULT '',
    label           TEXT NOT NULL,               -- as the school writes it: 5b, IIa
    UNIQUE (school_id, school_year, grade, letter)
) STRICT;

CREATE TABLE pupils (
    id              INTEGER PRIMARY KEY,
    school_id       INTEGER NOT NULL REFERENCES schools(id),
    registry_id     TEXT UNIQUE,                 -- id in the student registry (MR), when known
    personal_code   TEXT UNIQUE,                 -- shown masked; never logged
    first_name      TEXT NOT NULL CHECK (first_name <> ''),
    last_name       TEXT NOT NULL CHECK (last_name <> ''),
    birth_date      TEXT NOT NULL,
    sex             TEXT CHECK (sex IN ('M', 'F')),
    class_id        INTEGER REFERENCES classes(id),
    diet_note       TEXT NOT NULL DEFAULT '',    -- allergy / diet note shown at the till
    active          INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    left_on         TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
) STRICT;
CREATE INDEX pupils_class ON pupils(class_id);
CREATE INDEX pupils_name ON pupils(last_name, first_name);

CREATE TABLE blanks (
    id              INTEGER PRIMARY KEY,
    blank_number    TEXT NOT NULL UNIQUE,
    state           TEXT NOT NULL DEFAULT 'received'
                    CHECK (state IN ('received', 'used', 'spoiled', 'destroyed')),
    received_on     TEXT NOT NULL,
    changed_at      TEXT NOT NULL,
    note            TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE TABLE cards (
    id                  INTEGER PRIMARY KEY,
    pupil_id            INTEGER NOT NULL REFERENCES pupils(id),
    state               TEXT NOT NULL CHECK (state IN ('requested', 'personalised', 'issued',
                            'returned', 'replaced', 'expired', 'spoiled', 'destroyed', 'cancelled')),
    requested_on        TEXT NOT NULL,           -- starts the 21-day clock (§42)
    requested_by        TEXT NOT NULL CHECK (requested_by IN ('pupil', 'parent')),  -- annex 1 / 2
    blank_id            INTEGER REFERENCES blanks(id),
    chip_uid            TEXT UNIQUE,             -- hex; never logged in full
    barcode             TEXT UNIQUE,             -- assigned at personalisation (§26)
    registration_number TEXT UNIQUE,             -- assigned at issue (§26)
    grade_at_issue      INTEGER CHECK (grade_at_issue BETWEEN 1 AND 12),
    valid_until         TEXT,
    personalised_on     TEXT,
    issued_on           TEXT,
    received_by         TEXT,                    -- who signed the journal (§43)
    replaces_card_id    INTEGER REFERENCES cards(id),
    replacement_reason  TEXT,
    fee_cents           INTEGER NOT NULL DEFAULT 0 CHECK (fee_cents >= 0),
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
) STRICT;
CREATE INDEX cards_pupil ON cards(pupil_id);

CREATE TABLE card_other_entries (                -- "Kiti įrašai" (§17-18)
    id              INTEGER PRIMARY KEY,
    card_id         INTEGER NOT NULL REFERENCES cards(id),
    kind            TEXT NOT NULL,
    text            TEXT NOT NULL,
    director_order  TEXT NOT NULL CHECK (director_order <> '')
) STRICT;

CREATE TABLE card_events (                       -- every move of a card: who, when, why
    id              INTEGER PRIMARY KEY,
    card_id         INTEGER NOT NULL REFERENCES cards(id),
    from_state      TEXT,
    to_state        TEXT NOT NULL,
    at              TEXT NOT NULL,
    user_id         INTEGER REFERENCES users(id),
    reason          TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX card_events_card ON card_events(card_id);

CREATE TABLE users (                             -- named people only (MR user-request form)
    id                  INTEGER PRIMARY KEY,
    username            TEXT NOT NULL UNIQUE,
    password_hash       TEXT NOT NULL,
    first_name          TEXT NOT NULL,
    last_name           TEXT NOT NULL,
    email               TEXT NOT NULL DEFAULT '',
    phone               TEXT NOT NULL DEFAULT '',
    position            TEXT NOT NULL DEFAULT '',
    institution_code    TEXT NOT NULL DEFAULT '',
    institution_name    TEXT NOT NULL DEFAULT '',
    workplace_address   TEXT NOT NULL DEFAULT '',
    personal_code       TEXT,
    valid_from          TEXT NOT NULL,
    valid_to            TEXT,
    pledge_signed_on    TEXT,                    -- confidentiality pledge
    is_admin            INTEGER NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1)),
    disabled            INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    language            TEXT NOT NULL DEFAULT 'lt',
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
) STRICT;

CREATE TABLE user_rights (
    user_id         INTEGER NOT NULL REFERENCES users(id),
    area            TEXT NOT NULL,               -- personal_data, learning_data, blanks, cards, basket, lists
    level           TEXT NOT NULL CHECK (level IN ('viewer', 'manager')),
    PRIMARY KEY (user_id, area)
) STRICT;

CREATE TABLE login_failures (                    -- counted in the database: survives restarts
    id              INTEGER PRIMARY KEY,
    username        TEXT NOT NULL,
    at              TEXT NOT NULL,
    source          TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX login_failures_user ON login_failures(username, at);

CREATE TABLE audit_log (                         -- append-only, hash-chained
    id              INTEGER PRIMARY KEY,
    at              TEXT NOT NULL,
    user_id         INTEGER REFERENCES users(id),
    actor           TEXT NOT NULL,
    action          TEXT NOT NULL,
    subject         TEXT NOT NULL DEFAULT '',
    detail          TEXT NOT NULL DEFAULT '',
    source          TEXT NOT NULL DEFAULT '',
    prev_hash       TEXT NOT NULL,
    hash            TEXT NOT NULL UNIQUE
) STRICT;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

CREATE TABLE ledger (                            -- prepaid balance: append-only, balance derived
    id              INTEGER PRIMARY KEY,
    pupil_id        INTEGER NOT NULL REFERENCES pupils(id),
    kind            TEXT NOT NULL CHECK (kind IN ('topup', 'sale', 'refund', 'correction')),
    amount_cents    INTEGER NOT NULL,            -- signed: top-ups and refunds +, sales -
    at              TEXT NOT NULL,
    till            TEXT NOT NULL DEFAULT '',
    reference       TEXT NOT NULL DEFAULT '',    -- cash / bank reference
    reason          TEXT NOT NULL DEFAULT '',
    user_id         INTEGER REFERENCES users(id),
    event_id        TEXT NOT NULL UNIQUE
) STRICT;
CREATE INDEX ledger_pupil ON ledger(pupil_id, at);
CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;

CREATE TABLE meal_entitlements (                 -- free meals
    id              INTEGER PRIMARY KEY,
    pupil_id        INTEGER NOT NULL REFERENCES pupils(id),
    meal_type       TEXT NOT NULL,               -- breakfast, lunch, afternoon
    valid_from      TEXT NOT NULL,
    valid_to        TEXT,
    source          TEXT NOT NULL CHECK (source IN ('registry', 'staff')),
    note            TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
) STRICT;
CREATE INDEX meal_entitlements_pupil ON meal_entitlements(pupil_id, meal_type);

CREATE TABLE programmes (                        -- NVŠ programmes (KTPRR)
    id              INTEGER PRIMARY KEY,
    ktprr_code      TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    purpose         TEXT NOT NULL,
    directions      TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(directions))
) STRICT;

CREATE TABLE club_groups (
    id              INTEGER PRIMARY KEY,
    programme_id    INTEGER NOT NULL REFERENCES programmes(id),
    school_year     INTEGER NOT NULL,
    name            TEXT NOT NULL,
    sub_directions  TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(sub_directions)),
    UNIQUE (programme_id, school_year, name)
) STRICT;

CREATE TABLE group_leaders (
    group_id        INTEGER NOT NULL REFERENCES club_groups(id),
    user_id         INTEGER NOT NULL REFERENCES users(id),
    PRIMARY KEY (group_id, user_id)
) STRICT;

CREATE TABLE enrolments (
    id                  INTEGER PRIMARY KEY,
    pupil_id            INTEGER NOT NULL REFERENCES pupils(id),
    group_id            INTEGER NOT NULL REFERENCES club_groups(id),
    first_day           TEXT NOT NULL,
    contract_type       TEXT,
    contract_date       TEXT,
    contract_number     TEXT,
    left_on             TEXT,                    -- deregistration
    departure_order     TEXT,                    -- director's order number, optional
    departure_reason    TEXT,
    created_at          TEXT NOT NULL,
    CHECK (left_on IS NULL OR left_on >= first_day)
) STRICT;
CREATE INDEX enrolments_group ON enrolments(group_id);
CREATE INDEX enrolments_pupil ON enrolments(pupil_id);

CREATE TABLE funding_marks (
    enrolment_id    INTEGER NOT NULL REFERENCES enrolments(id),
    kind            TEXT NOT NULL CHECK (kind IN ('basket', 'municipal', 'state', 'other')),
    state           TEXT NOT NULL DEFAULT 'local' CHECK (state IN ('local', 'accepted', 'rejected')),
    registry_reason TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (enrolment_id, kind)
) STRICT;

CREATE TABLE club_sessions (
    id              INTEGER PRIMARY KEY,
    group_id        INTEGER NOT NULL REFERENCES club_groups(id),
    starts_at       TEXT NOT NULL,
    ends_at         TEXT NOT NULL,
    academic_hours  INTEGER NOT NULL CHECK (academic_hours > 0),
    opened_by       INTEGER REFERENCES users(id),
    closed_at       TEXT
) STRICT;
CREATE INDEX club_sessions_group ON club_sessions(group_id, starts_at);

CREATE TABLE attendance (
    id              INTEGER PRIMARY KEY,
    session_id      INTEGER NOT NULL REFERENCES club_sessions(id),
    pupil_id        INTEGER NOT NULL REFERENCES pupils(id),
    at              TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('present', 'not_in_group')),
    source          TEXT NOT NULL CHECK (source IN ('tap', 'hand')),
    user_id         INTEGER REFERENCES users(id)
) STRICT;
CREATE UNIQUE INDEX attendance_once ON attendance(session_id, pupil_id) WHERE status = 'present';

CREATE TABLE outbox (                            -- every change's event, written in its transaction
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id        TEXT NOT NULL UNIQUE,        -- UUIDv4, the idempotency key at the registry
    type            TEXT NOT NULL,
    payload         TEXT NOT NULL CHECK (json_valid(payload)),
    created_at      TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    acked_at        TEXT,
    last_error      TEXT,
    rejected_reason TEXT
) STRICT;
CREATE INDEX outbox_pending ON outbox(seq) WHERE acked_at IS NULL;

CREATE TABLE sync_cursors (
    name            TEXT PRIMARY KEY,            -- e.g. roster
    cursor          TEXT NOT NULL,
    updated_at      TEXT NOT NULL
) STRICT;
