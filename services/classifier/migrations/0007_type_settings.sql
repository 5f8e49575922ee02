-- What an administrator changed about a complaint type (desk → intake → PUT /api/v1/types/{code}).
-- The fifteen types themselves are the model's classes (taxonomy.py, shared COMPLAINT_TYPES): a row here
-- only overrides the Korean label, the department, the default urgency and whether the type may be chosen.
-- No row: the packaged taxonomy holds. A new type cannot be added here: the model would have to learn it.
CREATE TABLE IF NOT EXISTS type_settings (
    code            text        PRIMARY KEY,
    label           text        NOT NULL CHECK (length(btrim(label)) BETWEEN 1 AND 40),
    department      text        NOT NULL CHECK (length(btrim(department)) BETWEEN 1 AND 40),
    default_urgency text        NOT NULL CHECK (default_urgency IN ('low', 'normal', 'urgent')),
    active          boolean     NOT NULL DEFAULT true CHECK (active OR code <> 'other'),  -- 'other' is the fallback: always active
    updated_by      text        NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
