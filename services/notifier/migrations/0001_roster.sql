-- Who is on call: teams (what types, which area) and their field workers.
CREATE TABLE IF NOT EXISTS teams (
    id          text PRIMARY KEY,
    name        text        NOT NULL,
    types       text[]      NOT NULL DEFAULT '{}',
    districts   text[],                          -- NULL: the whole city
    fallback    boolean     NOT NULL DEFAULT false, -- duty supervisor team: takes what nobody else covers
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS workers (
    id          text PRIMARY KEY,
    team_id     text        NOT NULL REFERENCES teams (id),
    role        text        NOT NULL CHECK (role IN ('primary', 'backup', 'supervisor')),
    active      boolean     NOT NULL DEFAULT true,
    -- personal data: AES-256-GCM bound to (workers, name|phone, id); see shared/src/sunmoon/crypto.py
    name_enc    bytea       NOT NULL,
    phone_enc   bytea       NOT NULL,
    phone_idx   bytea       NOT NULL,            -- HMAC-SHA256 blind index of the normalised number
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS workers_team ON workers (team_id);
CREATE INDEX IF NOT EXISTS workers_phone_idx ON workers (phone_idx);
