-- 0007 registry sync: the registry's answer to each event, refused events corrected or sent
-- again by a person, the sync jobs' last runs, and the registry's keys of what the roster pull
-- brings (classes and free-meal entitlements; pupils have theirs since 0001).

ALTER TABLE outbox ADD COLUMN answer TEXT CHECK (answer IN ('accepted', 'duplicate', 'rejected'));
ALTER TABLE outbox ADD COLUMN answered_at TEXT;  -- when the registry's answer was recorded
-- what push sends: neither acknowledged nor refused (a refused event waits for a person)
DROP INDEX outbox_pending;
CREATE INDEX outbox_to_send ON outbox(seq) WHERE acked_at IS NULL AND rejected_reason IS NULL;
CREATE INDEX outbox_refused ON outbox(seq) WHERE rejected_reason IS NOT NULL;

CREATE TABLE outbox_corrections (                -- a refused event sent again, as it was or corrected
    id              INTEGER PRIMARY KEY,
    event_id        TEXT NOT NULL REFERENCES outbox(event_id),
    at              TEXT NOT NULL,
    user_id         INTEGER REFERENCES users(id),
    action          TEXT NOT NULL CHECK (action IN ('resent', 'corrected')),
    rejected_reason TEXT NOT NULL,               -- the registry's reason this answers
    old_payload     TEXT CHECK (old_payload IS NULL OR json_valid(old_payload))  -- when corrected
) STRICT;
CREATE INDEX outbox_corrections_event ON outbox_corrections(event_id);

CREATE TABLE sync_jobs (                         -- the last runs of push and pull, for the status
    job             TEXT PRIMARY KEY CHECK (job IN ('push', 'pull')),
    last_started_at TEXT,
    last_success_at TEXT,
    last_error      TEXT,                        -- never a payload: ids, types and reasons only
    last_error_at   TEXT,
    failures        INTEGER NOT NULL DEFAULT 0,  -- failed runs since the last success
    last_report     TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(last_report)),
    clock_offset_s  INTEGER                      -- the registry's clock minus the box's, last seen
) STRICT;

ALTER TABLE classes ADD COLUMN registry_key TEXT;
CREATE UNIQUE INDEX classes_registry_key ON classes(registry_key) WHERE registry_key IS NOT NULL;
ALTER TABLE meal_entitlements ADD COLUMN registry_key TEXT;
CREATE UNIQUE INDEX meal_entitlements_registry_key ON meal_entitlements(registry_key)
    WHERE registry_key IS NOT NULL;
