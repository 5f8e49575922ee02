-- Messaging tables every service has: transactional outbox, consumer inbox, dead letters.

CREATE TABLE IF NOT EXISTS outbox (
    id            bigserial PRIMARY KEY,
    event_id      uuid        NOT NULL UNIQUE,
    subject       text        NOT NULL,
    body          bytea       NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    published_at  timestamptz,
    attempts      integer     NOT NULL DEFAULT 0,
    last_error    text
);
CREATE INDEX IF NOT EXISTS outbox_unpublished ON outbox (id) WHERE published_at IS NULL;

CREATE TABLE IF NOT EXISTS inbox (
    event_id      uuid        NOT NULL,
    consumer      text        NOT NULL,
    subject       text        NOT NULL,
    processed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

CREATE TABLE IF NOT EXISTS dead_letters (
    id            bigserial PRIMARY KEY,
    consumer      text        NOT NULL,
    subject       text        NOT NULL,
    stream        text,
    stream_seq    bigint,
    deliveries    integer,
    event_id      text,
    body          bytea       NOT NULL,
    error         text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    replayed_at   timestamptz
);
