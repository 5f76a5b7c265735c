-- 0005 the clubs (NVŠ): the registry's classifiers, club leaders, weekly schedules, sessions at a
-- club room's terminal, marks by hand, funding marks per pupil and school year (one basket per
-- pupil), and the monthly reports sent to the registry.

CREATE TABLE nvs_classifiers (                   -- shipped with the edge, refreshed at every start
    kind            TEXT NOT NULL CHECK (kind IN ('direction', 'sub_direction', 'purpose',
                        'provider_group')),
    code            TEXT NOT NULL CHECK (code <> ''),
    parent          TEXT NOT NULL DEFAULT '',    -- a sub-direction's direction code
    name            TEXT NOT NULL CHECK (name <> ''),
    retired         INTEGER NOT NULL DEFAULT 0 CHECK (retired IN (0, 1)),  -- no longer shipped
    PRIMARY KEY (kind, code)
) STRICT;

ALTER TABLE users ADD COLUMN club_leader INTEGER NOT NULL DEFAULT 0 CHECK (club_leader IN (0, 1));

CREATE TABLE group_schedule (                    -- a group's weekly sessions, in school time
    id              INTEGER PRIMARY KEY,
    group_id        INTEGER NOT NULL REFERENCES club_groups(id),
    weekday         INTEGER NOT NULL CHECK (weekday BETWEEN 1 AND 7),  -- ISO: 1 is Monday
    starts          TEXT NOT NULL,               -- HH:MM
    ends            TEXT NOT NULL,               -- HH:MM
    academic_hours  INTEGER NOT NULL CHECK (academic_hours BETWEEN 1 AND 8),
    terminal        TEXT NOT NULL,               -- the club room's terminal, where pupils tap
    CHECK (starts < ends)
) STRICT;
CREATE INDEX group_schedule_group ON group_schedule(group_id);
CREATE INDEX group_schedule_terminal ON group_schedule(terminal, weekday);

ALTER TABLE club_sessions ADD COLUMN terminal TEXT NOT NULL DEFAULT '';
ALTER TABLE club_sessions ADD COLUMN schedule_id INTEGER REFERENCES group_schedule(id);
ALTER TABLE club_sessions ADD COLUMN closed_by INTEGER REFERENCES users(id);
-- a scheduled session opens once, whoever (the schedule job, a tap, the leader) opens it first
CREATE UNIQUE INDEX club_sessions_scheduled ON club_sessions(schedule_id, starts_at)
    WHERE schedule_id IS NOT NULL;
-- the tap's question: which session is open at this terminal now
CREATE INDEX club_sessions_open ON club_sessions(terminal, starts_at) WHERE closed_at IS NULL;

ALTER TABLE attendance ADD COLUMN event_id TEXT NOT NULL DEFAULT '';  -- the tap's or the change's
CREATE INDEX attendance_session ON attendance(session_id);
CREATE INDEX attendance_pupil ON attendance(pupil_id);

-- Funding marks learn whose and which school year they are, so that the basket is marked at most
-- once per pupil and school year here (a rejected mark or one of an ended enrolment does not
-- count), and carry the event the registry answers to.
CREATE TABLE funding_marks_new (
    enrolment_id    INTEGER NOT NULL REFERENCES enrolments(id),
    kind            TEXT NOT NULL CHECK (kind IN ('basket', 'municipal', 'state', 'other')),
    pupil_id        INTEGER NOT NULL REFERENCES pupils(id),
    school_year     INTEGER NOT NULL,
    state           TEXT NOT NULL DEFAULT 'local' CHECK (state IN ('local', 'accepted', 'rejected')),
    registry_reason TEXT NOT NULL DEFAULT '',
    event_id        TEXT NOT NULL UNIQUE,        -- the mark's outbox event
    marked_at       TEXT NOT NULL,
    ended_on        TEXT,                        -- the enrolment's departure date
    PRIMARY KEY (enrolment_id, kind)
) STRICT;
INSERT INTO funding_marks_new (enrolment_id, kind, pupil_id, school_year, state, registry_reason,
                               event_id, marked_at, ended_on)
    SELECT f.enrolment_id, f.kind, e.pupil_id, g.school_year, f.state, f.registry_reason,
           lower(hex(randomblob(16))), e.created_at, e.left_on
    FROM funding_marks f JOIN enrolments e ON e.id = f.enrolment_id
    JOIN club_groups g ON g.id = e.group_id;
DROP TABLE funding_marks;
ALTER TABLE funding_marks_new RENAME TO funding_marks;
CREATE UNIQUE INDEX funding_one_basket ON funding_marks(pupil_id, school_year)
    WHERE kind = 'basket' AND state <> 'rejected' AND ended_on IS NULL;
CREATE INDEX funding_marks_pupil ON funding_marks(pupil_id);

CREATE INDEX enrolments_pupil_group ON enrolments(pupil_id, group_id);

CREATE TABLE club_month_reports (                -- a group's month as sent to the registry
    id              INTEGER PRIMARY KEY,
    group_id        INTEGER NOT NULL REFERENCES club_groups(id),
    month           TEXT NOT NULL,               -- yyyy-mm
    sent_at         TEXT NOT NULL,
    user_id         INTEGER REFERENCES users(id),
    event_id        TEXT NOT NULL UNIQUE
) STRICT;
CREATE INDEX club_month_reports_group ON club_month_reports(group_id, month);
