-- Reporting's read model, built from every event. PII-free by design: no names, no phone
-- numbers, no addresses or coordinates, no free text; the district (읍·면·동) is the finest place.
-- Events may arrive in any order, so every column but the key may be NULL until its event comes.
CREATE TABLE IF NOT EXISTS complaints (
    complaint_id             uuid PRIMARY KEY,
    received_at              timestamptz,          -- from intake.complaint.received
    channel                  text,
    district                 text,
    status                   text        NOT NULL DEFAULT 'received'
        CHECK (status IN ('received', 'classified', 'dispatched', 'acknowledged', 'resolved')),
    type                     text,                 -- from classifier.complaint.classified
    urgency                  text,
    department               text,
    classification_event_at  timestamptz,          -- occurred_at of the classification shown (the newest wins)
    classified_at            timestamptz,          -- when the complaint first reached each status
    dispatched_at            timestamptz,
    acknowledged_at          timestamptz,
    resolved_at              timestamptz,
    sms_count                integer     NOT NULL DEFAULT 0,
    updated_at               timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS complaints_received_at ON complaints (received_at);

-- One row per notification, so a notification counts once however often its event arrives.
CREATE TABLE IF NOT EXISTS notifications (
    notification_id  uuid PRIMARY KEY,
    complaint_id     uuid        NOT NULL,
    team             text,
    role             text,
    provider         text,
    message_kind     text,
    sent_at          timestamptz,                  -- NULL while only its acknowledgement has arrived
    acknowledged_at  timestamptz
);
CREATE INDEX IF NOT EXISTS notifications_complaint ON notifications (complaint_id);

CREATE TABLE IF NOT EXISTS weather_observations (
    nx                  smallint    NOT NULL,
    ny                  smallint    NOT NULL,
    observed_at         timestamptz NOT NULL,
    source              text        NOT NULL,
    temperature_c       double precision,
    precipitation_mm    double precision,
    humidity_pct        double precision,
    wind_speed_ms       double precision,
    precipitation_type  smallint,
    event_at            timestamptz NOT NULL,      -- occurred_at of the event applied (the newest wins)
    PRIMARY KEY (nx, ny, observed_at, source)
);
