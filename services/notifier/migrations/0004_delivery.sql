-- What the SMS gateway did with each notification: the attempt in flight, failover, delivery.
--
-- delivery_status: NULL     nothing handed to a gateway yet (or the last attempt certainly failed)
--                  sending  an attempt is recorded and may be at the gateway; never sent again
--                           before the gateway was asked (sender.py reconciles it)
--                  sent     the gateway accepted it
--                  delivered the gateway reports it reached the phone
--                  failed   every attempt and the failover failed, or the carrier reported a failure
--                  unknown  the gateway could not tell whether an interrupted attempt went out;
--                           not resent (no double SMS), the duty officer was alerted instead
ALTER TABLE notifications
    ADD COLUMN IF NOT EXISTS delivery_status     text
        CHECK (delivery_status IN ('sending', 'sent', 'delivered', 'failed', 'unknown')),
    ADD COLUMN IF NOT EXISTS send_started_at     timestamptz,   -- when the attempt in flight was recorded
    ADD COLUMN IF NOT EXISTS provider_request_id text,          -- SENS requestId / Solapi groupId
    ADD COLUMN IF NOT EXISTS provider_attempts   integer     NOT NULL DEFAULT 0,  -- on the current provider
    ADD COLUMN IF NOT EXISTS failover            boolean     NOT NULL DEFAULT false,  -- the second provider took over
    ADD COLUMN IF NOT EXISTS delivered_at        timestamptz,
    ADD COLUMN IF NOT EXISTS delivery_checked_at timestamptz,
    ADD COLUMN IF NOT EXISTS delivery_checks     integer     NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS failed_at           timestamptz;

-- interrupted attempts the sender must reconcile, and sent messages whose delivery is unconfirmed
CREATE INDEX IF NOT EXISTS notifications_sending ON notifications (next_attempt_at)
    WHERE delivery_status = 'sending';
CREATE INDEX IF NOT EXISTS notifications_unconfirmed ON notifications (delivery_checked_at)
    WHERE delivery_status = 'sent';
