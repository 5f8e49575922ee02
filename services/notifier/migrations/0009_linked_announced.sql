-- Whether the worker holding the primary's job has heard of a linked duplicate: counted in the dispatch
-- text ("동일 민원 N건 추가") or told by one short follow-up ("동일 위치 민원 1건 추가"), never both, never twice.
ALTER TABLE linked_complaints ADD COLUMN IF NOT EXISTS announced_at timestamptz;
ALTER TABLE linked_complaints ADD COLUMN IF NOT EXISTS announced_in uuid;  -- the notification that told them
