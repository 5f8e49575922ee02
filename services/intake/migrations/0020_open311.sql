-- Open311 GeoReport v2 (src/intake/open311/): complaints filed by third-party systems.
-- The channel 'open311' joins phone, visit and web.
ALTER TABLE complaints DROP CONSTRAINT IF EXISTS complaints_channel_check;
ALTER TABLE complaints ADD CONSTRAINT complaints_channel_check
    CHECK (channel IN ('phone', 'visit', 'web', 'open311'));

-- API keys of third parties. Only the SHA-256 of the key is stored (the key is 256 random bits, so a
-- fast hash is enough: nothing to brute-force). The token bucket lives in the row, so every intake
-- replica shares one budget per key (see open311/keys.py).
CREATE TABLE IF NOT EXISTS open311_api_keys (
    id               bigserial   PRIMARY KEY,
    name             text        NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9._-]{2,60}$'),
    key_hash         bytea       NOT NULL UNIQUE,
    key_prefix       text        NOT NULL,          -- first characters, to recognise a key in a list
    rate_per_minute  integer     NOT NULL CHECK (rate_per_minute > 0),
    burst            integer     NOT NULL CHECK (burst > 0),
    bucket_tokens    double precision NOT NULL,
    bucket_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
    created_at       timestamptz NOT NULL DEFAULT now(),
    last_used_at     timestamptz,
    revoked_at       timestamptz
);

-- What an Open311 caller sent beside the complaint itself. The caller's name and phone are in
-- complaints.complainant_*_enc (as for the desk); the e-mail, device and account ids are encrypted here,
-- bound to (open311_requests, column, complaint_id).
CREATE TABLE IF NOT EXISTS open311_requests (
    complaint_id     uuid        PRIMARY KEY REFERENCES complaints (id),
    token            uuid        NOT NULL UNIQUE,
    service_code     text        NOT NULL,          -- the caller's choice of type: a hint, not the record
    attributes       jsonb       NOT NULL DEFAULT '{}',
    public_description text      NOT NULL,          -- the caller's text (phone numbers masked), without attributes
    address_string   text,
    media_url        text,
    api_key_id       bigint      NOT NULL REFERENCES open311_api_keys (id),
    jurisdiction_id  text,
    email_enc        bytea,
    device_id_enc    bytea,
    account_id_enc   bytea,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS complaints_open311 ON complaints (received_at DESC) WHERE channel = 'open311';
