-- Duplicates, dispatch controls and holds (src/intake/dispatch.py, dispatch_handlers.py).
-- A complaint linked as a duplicate points at the root primary (chains are flattened) and shares its
-- dispatch: it is never dispatched on its own and its status follows the primary's.
ALTER TABLE complaints ADD COLUMN IF NOT EXISTS duplicate_of uuid REFERENCES complaints (id);
ALTER TABLE complaints ADD COLUMN IF NOT EXISTS linked_at timestamptz;
-- Held by an officer: not dispatched automatically until an officer dispatches it.
ALTER TABLE complaints ADD COLUMN IF NOT EXISTS held_at timestamptz;
ALTER TABLE complaints ADD COLUMN IF NOT EXISTS hold_reason text;
-- The last dispatch request (intake.complaint.dispatch_requested.v1): when, its number for this complaint,
-- its event id (a re-dispatch names it in redispatch_of) and the worker, when chosen or reported back.
ALTER TABLE complaints ADD COLUMN IF NOT EXISTS dispatch_requested_at timestamptz;
ALTER TABLE complaints ADD COLUMN IF NOT EXISTS dispatch_attempt integer NOT NULL DEFAULT 0;
ALTER TABLE complaints ADD COLUMN IF NOT EXISTS dispatch_event_id uuid;
ALTER TABLE complaints ADD COLUMN IF NOT EXISTS dispatch_worker_id text;
UPDATE complaints SET dispatch_requested_at = dispatched_at, dispatch_attempt = 1
 WHERE dispatch_requested_at IS NULL AND dispatched_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS complaints_duplicate_of ON complaints (duplicate_of) WHERE duplicate_of IS NOT NULL;
-- The duplicates query: open complaints of one type in the last hours, then a bounding box on lat/lon.
CREATE INDEX IF NOT EXISTS complaints_open_by_place ON complaints (received_at DESC, lat, lon)
    WHERE status <> 'resolved' AND lat IS NOT NULL;
