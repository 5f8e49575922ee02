-- The weather the classifier knows, fed by weather's events: the latest observations per grid cell
-- and the warnings for the city's area. Used to attach the conditions to each complaint and to
-- raise the urgency of weather-related types.
CREATE TABLE IF NOT EXISTS weather_observations (
    nx                 smallint    NOT NULL,
    ny                 smallint    NOT NULL,
    observed_at        timestamptz NOT NULL,
    temperature_c      double precision,
    precipitation_mm   double precision,
    precipitation_type smallint,
    wind_speed_ms      double precision,
    simulated          boolean     NOT NULL DEFAULT false,
    PRIMARY KEY (nx, ny, observed_at)
);
CREATE INDEX IF NOT EXISTS weather_observations_time ON weather_observations (observed_at DESC);

-- One row per (area, kind): the latest announcement; status 'lifted' when no longer in force.
CREATE TABLE IF NOT EXISTS weather_warnings (
    area          text        NOT NULL,
    kind          text        NOT NULL,
    level         text        NOT NULL,
    status        text        NOT NULL CHECK (status IN ('issued', 'changed', 'lifted')),
    announced_at  timestamptz NOT NULL,
    effective_at  timestamptz,
    simulated     boolean     NOT NULL DEFAULT false,
    PRIMARY KEY (area, kind)
);

ALTER TABLE classifications ADD COLUMN IF NOT EXISTS district text;
ALTER TABLE classifications ADD COLUMN IF NOT EXISTS received_at timestamptz;
ALTER TABLE classifications ADD COLUMN IF NOT EXISTS weather jsonb;
ALTER TABLE classifications ADD COLUMN IF NOT EXISTS weather_raised boolean NOT NULL DEFAULT false;
CREATE INDEX IF NOT EXISTS classifications_district_time ON classifications (district, received_at);

-- Surges already announced, so one burst raises one alert per area, group and hour.
CREATE TABLE IF NOT EXISTS surges (
    district     text        NOT NULL,
    grp          text        NOT NULL,
    detected_at  timestamptz NOT NULL,
    count        integer     NOT NULL,
    PRIMARY KEY (district, grp, detected_at)
);
