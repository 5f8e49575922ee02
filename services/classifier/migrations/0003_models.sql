-- Model versions: every trained model, with what it was trained on and how it scored.
-- Exactly one is active; the service classifies with it and reloads within seconds when
-- `python -m classifier retrain` (or `activate`) makes another one active.
CREATE TABLE IF NOT EXISTS model_versions (
    version       text        PRIMARY KEY,              -- e.g. base-1a2b3c4d, r2-5e6f7a8b
    kind          text        NOT NULL DEFAULT 'tfidf-logreg',
    data_hash     text        NOT NULL,                 -- SHA-256 of the training rows (text, type, urgency)
    n_examples    integer     NOT NULL,
    n_corrections integer     NOT NULL DEFAULT 0,       -- officers' corrections among them
    scores        jsonb       NOT NULL DEFAULT '{}',    -- held-out evaluation: accuracy, macro_f1, urgent_recall ...
    artifact      bytea       NOT NULL,                 -- numpy .npz: vocabulary and weights, no pickle
    active        boolean     NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    activated_at  timestamptz,
    note          text
);
CREATE UNIQUE INDEX IF NOT EXISTS model_versions_one_active ON model_versions (active) WHERE active;

-- Labelled examples from the officers: each time an officer changes the suggested type in intake
-- (intake.complaint.reclassified.v1), the complaint's text and the officer's type are kept here;
-- `retrain` learns from the corpus plus these. The latest correction of a complaint wins.
CREATE TABLE IF NOT EXISTS corrections (
    complaint_id    uuid        PRIMARY KEY,
    text            text        NOT NULL,
    type            text        NOT NULL,
    urgency         text        CHECK (urgency IN ('urgent', 'normal', 'low')),
    suggested_type  text,                                -- what the model had said
    model_version   text,                                -- which model had said it
    event_id        uuid        NOT NULL,
    corrected_at    timestamptz NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now()
);

-- What the model was unsure about, and what it offered the officer.
ALTER TABLE classifications ADD COLUMN IF NOT EXISTS needs_review boolean NOT NULL DEFAULT false;
ALTER TABLE classifications ADD COLUMN IF NOT EXISTS candidates jsonb NOT NULL DEFAULT '[]';
ALTER TABLE classifications ADD COLUMN IF NOT EXISTS corrected_type text;
ALTER TABLE classifications ADD COLUMN IF NOT EXISTS corrected_at timestamptz;
