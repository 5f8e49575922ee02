-- What the field worker and the notifier reported back: the worker's taps on the link page
-- (확인/도착/완료 with a note) and the alerts the duty officer must see (escalations, failed SMS).
CREATE TABLE IF NOT EXISTS worker_responses (
    id               bigserial PRIMARY KEY,
    complaint_id     uuid        NOT NULL REFERENCES complaints (id),
    notification_id  uuid        NOT NULL,
    worker_id        text        NOT NULL,
    response         text        NOT NULL CHECK (response IN ('accepted', 'on_site', 'done')),
    note             text,
    responded_at     timestamptz NOT NULL,
    event_id         uuid        NOT NULL UNIQUE,
    recorded_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (notification_id, response)
);
CREATE INDEX IF NOT EXISTS worker_responses_complaint ON worker_responses (complaint_id, responded_at);

CREATE TABLE IF NOT EXISTS complaint_alerts (
    id               bigserial PRIMARY KEY,
    complaint_id     uuid        NOT NULL REFERENCES complaints (id),
    kind             text        NOT NULL CHECK (kind IN ('escalation', 'notification_failed')),
    stage            text,       -- escalation: backup, supervisor, duty_officer
    notification_id  uuid        NOT NULL,  -- the unanswered (escalation) or failed notification
    worker_id        text,       -- notification_failed: whose SMS failed
    role             text,
    attempts         integer,
    reason           text        NOT NULL,
    at               timestamptz NOT NULL,
    event_id         uuid        NOT NULL UNIQUE,
    recorded_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS complaint_alerts_complaint ON complaint_alerts (complaint_id, at);
