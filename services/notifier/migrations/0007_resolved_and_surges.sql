-- A complaint resolved at the desk before anyone acknowledged stops its escalation ('resolved').
ALTER TABLE escalations DROP CONSTRAINT IF EXISTS escalations_state_check;
ALTER TABLE escalations ADD CONSTRAINT escalations_state_check
    CHECK (state IN ('waiting', 'acknowledged', 'exhausted', 'superseded', 'resolved'));
