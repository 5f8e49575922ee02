CREATE TABLE IF NOT EXISTS complaints (
    id               uuid PRIMARY KEY,
    received_at      timestamptz NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    channel          text        NOT NULL CHECK (channel IN ('phone', 'visit', 'web')),
    description      text        NOT NULL,
    address          text,
    district         text,
    lat              double precision,
    lon              double precision,
    -- personal data: AES-256-GCM, bound to (complaints, column, id); see shared/src/sunmoon/crypto.py
    complainant_name_enc  bytea,
    complainant_phone_enc bytea,
    complainant_phone_idx bytea,   -- HMAC-SHA256 blind index of the normalised number
    status           text        NOT NULL DEFAULT 'received',
    type             text,
    urgency          text,
    department       text,
    confidence       real,
    model_version    text,
    classified_at    timestamptz,
    dispatched_at    timestamptz,
    acknowledged_at  timestamptz,
    resolved_at      timestamptz,
    resolution_note  text
);
CREATE INDEX IF NOT EXISTS complaints_received_at ON complaints (received_at DESC);
CREATE INDEX IF NOT EXISTS complaints_status ON complaints (status);
CREATE INDEX IF NOT EXISTS complaints_phone_idx ON complaints (complainant_phone_idx);

CREATE TABLE IF NOT EXISTS complaint_status_history (
    id            bigserial PRIMARY KEY,
    complaint_id  uuid        NOT NULL REFERENCES complaints (id),
    status        text        NOT NULL,
    at            timestamptz NOT NULL DEFAULT now(),
    reason        text
);
CREATE INDEX IF NOT EXISTS complaint_status_history_complaint ON complaint_status_history (complaint_id, id);
