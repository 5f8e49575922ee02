-- One classification per complaint. The first intake.complaint.received.v1 for a complaint
-- decides it; another received event for the same complaint (a repeat under a new event id)
-- finds the row and changes nothing, and publishes nothing.
-- The complaint text itself is not kept here: intake owns it.
CREATE TABLE IF NOT EXISTS classifications (
    complaint_id         uuid        PRIMARY KEY,
    type                 text        NOT NULL,
    urgency              text        NOT NULL CHECK (urgency IN ('urgent', 'normal', 'low')),
    department           text        NOT NULL,
    confidence           double precision NOT NULL CHECK (confidence BETWEEN 0 AND 1),
    model_version        text        NOT NULL,
    manual_id            text,
    matched_terms        text[]      NOT NULL DEFAULT '{}',
    scores               jsonb       NOT NULL DEFAULT '{}',  -- evidence per type, for reviewing the model
    received_event_id    uuid        NOT NULL,               -- the intake.complaint.received.v1 that caused it
    classified_event_id  uuid        NOT NULL UNIQUE,        -- the classifier.complaint.classified.v1 it published
    classified_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS classifications_classified_at ON classifications (classified_at);
