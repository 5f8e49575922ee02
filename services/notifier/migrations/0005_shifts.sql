-- Shifts: which workers of a team are on call when (Asia/Seoul). The rules are in src/notifier/roster.py.
-- A team can be switched off without deleting it (notifications keep referring to it).
ALTER TABLE teams ADD COLUMN IF NOT EXISTS active boolean NOT NULL DEFAULT true;

CREATE TABLE IF NOT EXISTS shift_assignments (
    id                    bigserial PRIMARY KEY,
    team_id               text        NOT NULL REFERENCES teams (id),
    -- day (office hours), weekday_night (night after a working day), weekend, holiday;
    -- NULL only for a date exception that covers the whole duty date
    kind                  text        CHECK (kind IN ('day', 'weekday_night', 'weekend', 'holiday')),
    on_date               date,       -- NULL: every shift of the kind; a date: an exception for that duty date
    primary_worker_id     text        NOT NULL REFERENCES workers (id),
    backup_worker_id      text        REFERENCES workers (id),
    supervisor_worker_id  text        REFERENCES workers (id),
    note                  text        CHECK (char_length(note) <= 200),
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    CHECK (kind IS NOT NULL OR on_date IS NOT NULL),
    CHECK (backup_worker_id IS DISTINCT FROM primary_worker_id
           AND supervisor_worker_id IS DISTINCT FROM primary_worker_id
           AND (backup_worker_id IS NULL OR supervisor_worker_id IS DISTINCT FROM backup_worker_id))
);
-- One assignment per slot: (team, kind) for the regular ones, (team, date, kind or whole day) for exceptions.
CREATE UNIQUE INDEX IF NOT EXISTS shift_assignments_slot
    ON shift_assignments (team_id, (COALESCE(kind, '')), (COALESCE(on_date, '-infinity'::date)));
