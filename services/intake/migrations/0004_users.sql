-- The duty officer's desk: who may sign in, their sessions, failed sign-ins (throttle) and the
-- access log of revealed personal data (개인정보 접속기록). See src/intake/web/.
CREATE TABLE IF NOT EXISTS desk_users (
    id             bigserial   PRIMARY KEY,
    name           text        NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9._-]{2,40}$'),
    role           text        NOT NULL CHECK (role IN ('duty_officer', 'supervisor', 'admin')),
    password_hash  text        NOT NULL,            -- Argon2id, PHC string ($argon2id$v=19$...)
    disabled       boolean     NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now(),
    password_changed_at timestamptz NOT NULL DEFAULT now()
);

-- Only a SHA-256 of the session token is stored: a copy of this table signs nobody in.
CREATE TABLE IF NOT EXISTS desk_sessions (
    token_hash   bytea       PRIMARY KEY,
    user_id      bigint      NOT NULL REFERENCES desk_users (id) ON DELETE CASCADE,
    csrf_token   text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL                -- absolute end (a night shift); idle expiry uses last_seen_at
);
CREATE INDEX IF NOT EXISTS desk_sessions_user ON desk_sessions (user_id);
CREATE INDEX IF NOT EXISTS desk_sessions_expires ON desk_sessions (expires_at);

CREATE TABLE IF NOT EXISTS desk_login_attempts (
    id         bigserial   PRIMARY KEY,
    name       text        NOT NULL,
    client_ip  text,
    succeeded  boolean     NOT NULL,
    at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS desk_login_attempts_name ON desk_login_attempts (name, at DESC);
CREATE INDEX IF NOT EXISTS desk_login_attempts_ip ON desk_login_attempts (client_ip, at DESC);

-- Who saw which complaint's personal data in clear, when and why. Rows are never updated or deleted
-- by the application; keep them at least as long as the law asks (2 years for 접속기록 of this kind).
CREATE TABLE IF NOT EXISTS pii_access_log (
    id            bigserial   PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT now(),
    user_id       bigint      NOT NULL REFERENCES desk_users (id),
    user_name     text        NOT NULL,
    complaint_id  uuid        NOT NULL REFERENCES complaints (id),
    fields        text[]      NOT NULL,
    reason        text        NOT NULL CHECK (length(btrim(reason)) >= 2),
    client_ip     text
);
CREATE INDEX IF NOT EXISTS pii_access_log_complaint ON pii_access_log (complaint_id, at DESC);
CREATE INDEX IF NOT EXISTS pii_access_log_at ON pii_access_log (at DESC);
