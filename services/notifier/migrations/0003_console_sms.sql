-- The console SMS gateway's record of what it "sent" (development and demonstrations).
CREATE TABLE IF NOT EXISTS sms_messages (
    id                   bigserial PRIMARY KEY,
    idempotency_key      text        NOT NULL UNIQUE,
    recipient_phone_enc  bytea       NOT NULL,  -- AES-256-GCM bound to (sms_messages, recipient_phone, key)
    sender               text        NOT NULL,
    text                 text        NOT NULL,
    kind                 text        NOT NULL CHECK (kind IN ('SMS', 'LMS')),
    bytes                integer     NOT NULL,
    created_at           timestamptz NOT NULL DEFAULT now()
);
