-- The classifier's suggestion, kept beside what the complaint is now (an officer may correct it).
ALTER TABLE complaints ADD COLUMN IF NOT EXISTS suggested_type text;
ALTER TABLE complaints ADD COLUMN IF NOT EXISTS suggested_urgency text;
-- The model was unsure: the officer is asked to choose among the candidates (top three types).
ALTER TABLE complaints ADD COLUMN IF NOT EXISTS needs_review boolean NOT NULL DEFAULT false;
ALTER TABLE complaints ADD COLUMN IF NOT EXISTS candidates jsonb NOT NULL DEFAULT '[]';
-- Set when an officer chose the type: a late classification no longer overrides it.
ALTER TABLE complaints ADD COLUMN IF NOT EXISTS corrected_at timestamptz;
CREATE INDEX IF NOT EXISTS complaints_needs_review ON complaints (received_at DESC) WHERE needs_review;
