-- Escalation chains (one per first text of a complaint) and the worker's taps on the link page.
-- The state lives here so that a restart or a second replica continues where the first one stopped:
-- the loop in src/notifier/escalation.py claims due rows FOR UPDATE SKIP LOCKED.
CREATE TABLE IF NOT EXISTS escalations (
    notification_id       uuid PRIMARY KEY REFERENCES notifications (id),  -- the first text of the chain
    complaint_id          uuid        NOT NULL,
    team_id               text        NOT NULL REFERENCES teams (id),
    urgency               text        NOT NULL,          -- chooses the wait (NOTIFIER_ESCALATE_*_MINUTES)
    backup_worker_id      text        REFERENCES workers (id),  -- next to text; NULL: nobody, skip the stage
    supervisor_worker_id  text        REFERENCES workers (id),
    shift_kind            text,                          -- what the roster said, for the record
    duty_date             date,
    stage                 text        NOT NULL DEFAULT 'primary'
                          CHECK (stage IN ('primary', 'backup', 'supervisor', 'duty_officer')),
    stage_started_at      timestamptz NOT NULL DEFAULT now(),  -- the next step is due a wait after this
    last_notification_id  uuid        NOT NULL REFERENCES notifications (id),  -- the text awaiting an answer
    state                 text        NOT NULL DEFAULT 'waiting'
                          CHECK (state IN ('waiting', 'acknowledged', 'exhausted', 'superseded')),
    created_at            timestamptz NOT NULL DEFAULT now(),
    closed_at             timestamptz
);
CREATE INDEX IF NOT EXISTS escalations_waiting ON escalations (stage_started_at) WHERE state = 'waiting';
CREATE INDEX IF NOT EXISTS escalations_complaint ON escalations (complaint_id);

CREATE TABLE IF NOT EXISTS escalation_steps (
    id                          bigserial PRIMARY KEY,
    escalation_id               uuid        NOT NULL REFERENCES escalations (notification_id),
    complaint_id                uuid        NOT NULL,
    stage                       text        NOT NULL CHECK (stage IN ('backup', 'supervisor', 'duty_officer')),
    worker_id                   text,       -- who was texted; NULL for the duty officer
    notification_id             uuid,       -- the new text; NULL for the duty officer
    unanswered_notification_id  uuid        NOT NULL,
    reason                      text        NOT NULL,
    raised_at                   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (escalation_id, stage)
);

-- The buttons of the link page: 확인 (accepted), 도착 (on_site), 완료 (done); each once per notification.
CREATE TABLE IF NOT EXISTS worker_responses (
    id               bigserial PRIMARY KEY,
    notification_id  uuid        NOT NULL REFERENCES notifications (id),
    complaint_id     uuid        NOT NULL,
    worker_id        text        NOT NULL,
    response         text        NOT NULL CHECK (response IN ('accepted', 'on_site', 'done')),
    note             text        CHECK (char_length(note) <= 500),  -- phone numbers masked
    responded_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (notification_id, response)
);
CREATE INDEX IF NOT EXISTS worker_responses_complaint ON worker_responses (complaint_id, responded_at);
