-- What the duty report and the analytics need beyond the counts, still free of personal data:
-- the place of the problem to ~11 m (4 decimals) and its KMA grid cell, a 40-character summary of the
-- description (phone numbers already masked by intake, masked again here), and the weather in columns.
ALTER TABLE complaints ADD COLUMN IF NOT EXISTS lat double precision;
ALTER TABLE complaints ADD COLUMN IF NOT EXISTS lon double precision;
ALTER TABLE complaints ADD COLUMN IF NOT EXISTS nx smallint;
ALTER TABLE complaints ADD COLUMN IF NOT EXISTS ny smallint;
ALTER TABLE complaints ADD COLUMN IF NOT EXISTS summary text;
ALTER TABLE complaints ADD COLUMN IF NOT EXISTS precipitation_mm double precision;
ALTER TABLE complaints ADD COLUMN IF NOT EXISTS temperature_c double precision;
ALTER TABLE complaints ADD COLUMN IF NOT EXISTS hazards text[] NOT NULL DEFAULT '{}';
UPDATE complaints SET
    precipitation_mm = (weather->>'precipitation_mm')::double precision,
    temperature_c = (weather->>'temperature_c')::double precision,
    hazards = COALESCE(ARRAY(SELECT jsonb_array_elements_text(weather->'hazards')), '{}'),
    nx = COALESCE(nx, (weather->>'nx')::smallint),
    ny = COALESCE(ny, (weather->>'ny')::smallint)
WHERE weather IS NOT NULL AND jsonb_typeof(weather) = 'object';

-- The report archive: one row per report, one per file (bytes kept here, so a backup of the
-- database is a backup of the reports; xlsx and pdf are compressed already: no TOAST compression).
CREATE TABLE IF NOT EXISTS reports (
    id            uuid PRIMARY KEY,
    kind          text        NOT NULL CHECK (kind IN ('shift', 'range', 'month')),
    since         timestamptz NOT NULL,
    until         timestamptz NOT NULL,
    parameters    jsonb       NOT NULL DEFAULT '{}',
    formats       text[]      NOT NULL,
    complaints    integer     NOT NULL,
    automatic     boolean     NOT NULL DEFAULT false,
    generated_at  timestamptz NOT NULL DEFAULT now(),
    duration_ms   integer
);
CREATE INDEX IF NOT EXISTS reports_generated_at ON reports (generated_at DESC);
-- the end-of-shift report is made once per shift, however many replicas run the schedule
CREATE UNIQUE INDEX IF NOT EXISTS reports_one_per_shift ON reports (since, until) WHERE automatic;

CREATE TABLE IF NOT EXISTS report_files (
    report_id   uuid    NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    format      text    NOT NULL CHECK (format IN ('xlsx', 'pdf')),
    media_type  text    NOT NULL,
    filename    text    NOT NULL,
    size        integer NOT NULL,
    sha256      text    NOT NULL,
    content     bytea   NOT NULL,
    PRIMARY KEY (report_id, format)
);
ALTER TABLE report_files ALTER COLUMN content SET STORAGE EXTERNAL;

-- Where the end-of-shift schedule stands: every shift that ended up to last_until has its report.
CREATE TABLE IF NOT EXISTS report_schedule (
    name        text PRIMARY KEY,
    last_until  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- analytics over the read model
CREATE INDEX IF NOT EXISTS notifications_sent_at ON notifications (sent_at);
