-- A complaint intake linked as a duplicate of another (intake.complaint.linked.v1): still counted as a
-- complaint (its own row), marked with its primary so reports can tell "N calls, one dispatch".
ALTER TABLE complaints ADD COLUMN IF NOT EXISTS duplicate_of uuid;
