-- What the board shows between "dispatched" and "done": the gateway's delivery report and the worker's latest
-- answer on the link (확인 → 도착 → 완료). The complaint's status keeps its five steps; these refine its label.
ALTER TABLE complaints ADD COLUMN IF NOT EXISTS sms_delivered_at timestamptz;
ALTER TABLE complaints ADD COLUMN IF NOT EXISTS field_response text
    CHECK (field_response IS NULL OR field_response IN ('accepted', 'on_site', 'done'));
ALTER TABLE complaints ADD COLUMN IF NOT EXISTS field_response_at timestamptz;
