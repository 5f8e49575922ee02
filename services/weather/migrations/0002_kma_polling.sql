-- KMA polling: more of the now-cast on each observation, the poller's schedule, and the warnings.

-- VEC (wind direction, degrees) and whether the row came from the fake KMA server.
ALTER TABLE observations
    ADD COLUMN IF NOT EXISTS wind_direction_deg double precision CHECK (wind_direction_deg BETWEEN 0 AND 360),
    ADD COLUMN IF NOT EXISTS simulated boolean NOT NULL DEFAULT false;

-- One row per background job ('nowcast', 'warnings'): when it runs next and why it may be stopped.
-- Kept in the database so a restart neither hammers KMA after a quota stop nor forgets the schedule.
CREATE TABLE IF NOT EXISTS poll_jobs (
    job              text PRIMARY KEY,
    next_run_at      timestamptz,           -- NULL: stopped until the service restarts (configuration error)
    last_attempt_at  timestamptz,
    last_success_at  timestamptz,
    last_error       text,
    stopped_reason   text CHECK (stopped_reason IN ('quota', 'configuration')),
    stopped_until    timestamptz,           -- quota: the next midnight KST
    stopped_message  text,                  -- what an operator should do
    details          jsonb NOT NULL DEFAULT '{}'::jsonb,
    updated_at       timestamptz NOT NULL DEFAULT now()
);

-- The warnings in force now for the city's area: the state each poll is compared with.
CREATE TABLE IF NOT EXISTS warnings_in_force (
    area          text        NOT NULL,
    kind          text        NOT NULL,      -- 호우, 대설, 한파 ...
    level         text        NOT NULL,      -- 주의보, 경보
    announced_at  timestamptz NOT NULL,
    effective_at  timestamptz,
    station       integer     NOT NULL,
    source        text        NOT NULL,
    simulated     boolean     NOT NULL DEFAULT false,
    since         timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (area, kind)
);

-- Every change (issued, changed, lifted) as announced: answers "what was in force at time T".
CREATE TABLE IF NOT EXISTS warning_changes (
    id            bigserial   PRIMARY KEY,
    area          text        NOT NULL,
    kind          text        NOT NULL,
    level         text        NOT NULL,
    status        text        NOT NULL CHECK (status IN ('issued', 'changed', 'lifted')),
    announced_at  timestamptz NOT NULL,
    effective_at  timestamptz,
    valid_from    timestamptz NOT NULL,      -- effective_at, else announced_at
    station       integer     NOT NULL,
    source        text        NOT NULL,
    simulated     boolean     NOT NULL DEFAULT false,
    recorded_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS warning_changes_at ON warning_changes (area, kind, valid_from DESC, id DESC);
