-- Template drafts made with each classification (the officer edits or sends them; POST /api/v1/drafts
-- can ask an LLM for better ones): the text for the field worker and the answer to the citizen.
ALTER TABLE classifications ADD COLUMN IF NOT EXISTS draft_worker_sms text;
ALTER TABLE classifications ADD COLUMN IF NOT EXISTS draft_citizen_reply text;
