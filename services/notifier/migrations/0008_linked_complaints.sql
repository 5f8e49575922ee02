-- Complaints intake linked as duplicates of another (intake.complaint.linked.v1): they share the primary's
-- text, so a dispatch request for one of them texts nobody.
CREATE TABLE IF NOT EXISTS linked_complaints (
    complaint_id  uuid PRIMARY KEY,
    primary_id    uuid        NOT NULL,
    linked_at     timestamptz NOT NULL,
    event_id      uuid        NOT NULL,
    recorded_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS linked_complaints_primary ON linked_complaints (primary_id);
