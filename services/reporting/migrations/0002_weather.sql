-- The weather each complaint came in under (from the classification), kept for reports: how many
-- complaints a warning brought, which ones the weather made urgent.
ALTER TABLE complaints ADD COLUMN IF NOT EXISTS weather jsonb;
ALTER TABLE complaints ADD COLUMN IF NOT EXISTS weather_raised boolean NOT NULL DEFAULT false;
ALTER TABLE complaints ADD COLUMN IF NOT EXISTS warnings text[] NOT NULL DEFAULT '{}';

-- Surges of weather-related complaints in one 동 within an hour (classifier.surge.detected.v1).
CREATE TABLE IF NOT EXISTS surges (
    district     text        NOT NULL,
    grp          text        NOT NULL,
    detected_at  timestamptz NOT NULL,
    count        integer     NOT NULL,
    types        text[]      NOT NULL,
    warnings     text[]      NOT NULL DEFAULT '{}',
    PRIMARY KEY (district, grp, detected_at)
);
