-- One row per SMS to send: written by the consumer, sent by the sender loop.
CREATE TABLE IF NOT EXISTS notifications (
    id                  uuid PRIMARY KEY,
    complaint_id        uuid        NOT NULL,
    worker_id           text        NOT NULL REFERENCES workers (id),
    team_id             text        NOT NULL REFERENCES teams (id),
    role                text        NOT NULL CHECK (role IN ('primary', 'backup', 'supervisor')),
    idempotency_key     text        NOT NULL UNIQUE,  -- '<complaint>:<worker>:primary': one SMS, ever
    status              text        NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'sent', 'acknowledged', 'failed')),
    complaint_type      text        NOT NULL,
    urgency             text        NOT NULL,
    place               text        NOT NULL,
    text                text        NOT NULL,         -- the SMS, acknowledgement token masked
    message_kind        text        NOT NULL CHECK (message_kind IN ('SMS', 'LMS')),
    size_bytes          integer     NOT NULL,         -- EUC-KR bytes
    event_id            uuid,                         -- the dispatch request that caused it
    created_at          timestamptz NOT NULL DEFAULT now(),
    attempts            integer     NOT NULL DEFAULT 0,
    next_attempt_at     timestamptz NOT NULL DEFAULT now(),
    last_error          text,
    provider            text,
    provider_message_id text,
    sent_at             timestamptz,
    ack_token_hash      bytea UNIQUE,                 -- SHA-256 of the link token; the token is not kept
    ack_expires_at      timestamptz,
    acknowledged_at     timestamptz
);
CREATE INDEX IF NOT EXISTS notifications_pending ON notifications (next_attempt_at) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS notifications_complaint ON notifications (complaint_id, created_at);
