-- Weather observations per KMA grid cell. One row per (cell, time, source):
-- recording the same observation again updates the row, it never adds one.
CREATE TABLE IF NOT EXISTS observations (
    nx                  smallint    NOT NULL CHECK (nx BETWEEN 1 AND 149),
    ny                  smallint    NOT NULL CHECK (ny BETWEEN 1 AND 253),
    observed_at         timestamptz NOT NULL,
    source              text        NOT NULL,
    temperature_c       double precision,
    precipitation_mm    double precision CHECK (precipitation_mm >= 0),
    humidity_pct        double precision CHECK (humidity_pct BETWEEN 0 AND 100),
    wind_speed_ms       double precision CHECK (wind_speed_ms >= 0),
    precipitation_type  smallint,
    recorded_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (nx, ny, observed_at, source)
);
CREATE INDEX IF NOT EXISTS observations_latest ON observations (nx, ny, observed_at DESC);
