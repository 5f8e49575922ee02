-- When the read model first knew a complaint (whichever event came first). The load benchmark measures
-- "request filed -> row in reporting" with it; operators can see the read model's lag with it.
ALTER TABLE complaints ADD COLUMN IF NOT EXISTS first_seen_at timestamptz NOT NULL DEFAULT now();
