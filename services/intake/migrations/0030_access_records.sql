-- Access records (개인정보 접속기록): every view, reveal, export, report or purge of personal data, in one
-- append-only hash chain (src/intake/access_records.py; `python -m intake access-log verify`).
--
-- Each row's hash = SHA-256(prev_hash || canonical encoding of its fields); the BEFORE INSERT trigger assigns
-- id (contiguous: head + 1), at (clock_timestamp()), prev_hash and hash under a transaction-scoped advisory
-- lock, so concurrent appends queue up and never fork (prev_hash is also UNIQUE). Writers give only the
-- content. UPDATE, DELETE and TRUNCATE raise; the one exception is prune_access_records(), which deletes
-- records older than the retention (never under 730 days, checked again per row by the trigger), writes an
-- anchor row (the last deleted record's id and hash: where the verifier starts) and a 'purge' record naming
-- that hash, so the anchor itself is attested by the chain.

CREATE TABLE IF NOT EXISTS access_records (
    id           bigint      PRIMARY KEY,
    at           timestamptz NOT NULL,
    actor        text        NOT NULL,                 -- desk user name, API client name, or 'system'
    actor_role   text        NOT NULL,                 -- duty_officer | supervisor | admin | api | system
    actor_id     bigint,                               -- desk_users.id when a desk user
    source_ip    text,
    action       text        NOT NULL CHECK (action IN ('view', 'reveal', 'export', 'report', 'purge')),
    complaint_id uuid,                                 -- no FK: the record outlives nothing it names
    fields       text[]      NOT NULL DEFAULT '{}',
    reason       text        NOT NULL DEFAULT '',
    prev_hash    bytea       NOT NULL UNIQUE,
    hash         bytea       NOT NULL
);
CREATE INDEX IF NOT EXISTS access_records_at ON access_records (at);
CREATE INDEX IF NOT EXISTS access_records_complaint ON access_records (complaint_id, at DESC) WHERE complaint_id IS NOT NULL;

CREATE TABLE IF NOT EXISTS access_chain_anchor (
    id             bigserial   PRIMARY KEY,
    at             timestamptz NOT NULL DEFAULT clock_timestamp(),
    through_id     bigint      NOT NULL,     -- the last pruned record
    through_hash   bytea       NOT NULL,     -- its hash = the prev_hash of the first remaining record
    pruned         integer     NOT NULL,
    retention_days integer     NOT NULL CHECK (retention_days >= 730)
);

-- The canonical encoding (version 1). Python's access_records.record_hash() must give the same bytes.
-- NULL -> 'N;'  text -> 'S<bytes>:<text>;'  array -> 'A<n>:' elements ';'   timestamps in UTC, microseconds.
CREATE OR REPLACE FUNCTION access_enc(v text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN v IS NULL THEN 'N;' ELSE 'S' || octet_length(v) || ':' || v || ';' END
$$;

CREATE OR REPLACE FUNCTION access_record_hash(r access_records) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
    SELECT sha256(r.prev_hash || convert_to(
        'sunmoon-access-v1;' || access_enc(r.id::text)
        || access_enc(to_char(r.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'))
        || access_enc(r.actor) || access_enc(r.actor_role) || access_enc(r.actor_id::text)
        || access_enc(r.source_ip) || access_enc(r.action) || access_enc(r.complaint_id::text)
        || 'A' || coalesce(cardinality(r.fields), 0) || ':'
        || coalesce((SELECT string_agg(access_enc(f), '' ORDER BY i) FROM unnest(r.fields) WITH ORDINALITY AS u(f, i)), '')
        || ';' || access_enc(r.reason), 'UTF8'))
$$;

CREATE OR REPLACE FUNCTION access_records_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    head_id bigint;
    head_hash bytea;
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'access records are appended in READ COMMITTED transactions only (the chain head must be current)';
    END IF;
    PERFORM pg_advisory_xact_lock(7431150030);
    SELECT id, hash INTO head_id, head_hash FROM access_records ORDER BY id DESC LIMIT 1;
    IF head_id IS NULL THEN
        SELECT through_id, through_hash INTO head_id, head_hash FROM access_chain_anchor ORDER BY id DESC LIMIT 1;
    END IF;
    NEW.id := coalesce(head_id, 0) + 1;
    NEW.at := clock_timestamp();
    NEW.prev_hash := coalesce(head_hash, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
    NEW.fields := coalesce(NEW.fields, '{}');
    NEW.reason := coalesce(NEW.reason, '');
    NEW.hash := access_record_hash(NEW);
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION access_records_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_LEVEL = 'STATEMENT' THEN
        RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'access_records'
       AND coalesce(current_setting('sunmoon.access_prune', true), '') = 'on' THEN
        IF OLD.at < clock_timestamp() - interval '730 days' THEN
            RETURN OLD;  -- prune_access_records(): past the legal minimum, anchored and recorded
        END IF;
    END IF;
    RAISE EXCEPTION '% is append-only: % of record #% refused', TG_TABLE_NAME, TG_OP, OLD.id
        USING ERRCODE = 'insufficient_privilege';
END $$;

DROP TRIGGER IF EXISTS access_records_chain ON access_records;
CREATE TRIGGER access_records_chain BEFORE INSERT ON access_records
    FOR EACH ROW EXECUTE FUNCTION access_records_chain();
DROP TRIGGER IF EXISTS access_records_append_only ON access_records;
CREATE TRIGGER access_records_append_only BEFORE UPDATE OR DELETE ON access_records
    FOR EACH ROW EXECUTE FUNCTION access_records_refuse();
DROP TRIGGER IF EXISTS access_records_no_truncate ON access_records;
CREATE TRIGGER access_records_no_truncate BEFORE TRUNCATE ON access_records
    FOR EACH STATEMENT EXECUTE FUNCTION access_records_refuse();
DROP TRIGGER IF EXISTS access_chain_anchor_append_only ON access_chain_anchor;
CREATE TRIGGER access_chain_anchor_append_only BEFORE UPDATE OR DELETE ON access_chain_anchor
    FOR EACH ROW EXECUTE FUNCTION access_records_refuse();
DROP TRIGGER IF EXISTS access_chain_anchor_no_truncate ON access_chain_anchor;
CREATE TRIGGER access_chain_anchor_no_truncate BEFORE TRUNCATE ON access_chain_anchor
    FOR EACH STATEMENT EXECUTE FUNCTION access_records_refuse();

-- Retention of the records themselves: delete those older than retention_days (>= 730), anchor the chain.
CREATE OR REPLACE FUNCTION prune_access_records(retention_days integer, who text) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    last_id bigint;
    last_hash bytea;
    n integer;
BEGIN
    IF retention_days IS NULL OR retention_days < 730 THEN
        RAISE EXCEPTION 'access records are kept at least 730 days (2 years); % refused', retention_days;
    END IF;
    PERFORM pg_advisory_xact_lock(7431150030);
    SELECT id, hash INTO last_id, last_hash FROM access_records
        WHERE at < clock_timestamp() - make_interval(days => retention_days) ORDER BY id DESC LIMIT 1;
    IF last_id IS NULL THEN
        RETURN 0;
    END IF;
    PERFORM set_config('sunmoon.access_prune', 'on', true);
    DELETE FROM access_records WHERE id <= last_id;
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM set_config('sunmoon.access_prune', 'off', true);
    INSERT INTO access_chain_anchor (through_id, through_hash, pruned, retention_days)
        VALUES (last_id, last_hash, n, retention_days);
    INSERT INTO access_records (actor, actor_role, action, fields, reason)
        VALUES (who, 'system', 'purge', ARRAY['access_records'],
                format('보존기간(%s일) 경과 접속기록 %s건 삭제: #%s까지, 기준 해시 %s', retention_days, n, last_id,
                       encode(last_hash, 'hex')));
    RETURN n;
END $$;

-- The desk's reveal log becomes the first part of the chain, in its own order, times kept.
ALTER TABLE access_records DISABLE TRIGGER access_records_chain;
DO $$
DECLARE
    r record;
    rec access_records;
    prev bytea := '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea;
    next_id bigint := coalesce((SELECT max(id) FROM access_records), 0);
BEGIN
    IF to_regclass('pii_access_log') IS NULL OR next_id > 0 THEN
        RETURN;
    END IF;
    FOR r IN SELECT l.*, u.role FROM pii_access_log l LEFT JOIN desk_users u ON u.id = l.user_id
             ORDER BY l.at, l.id LOOP
        next_id := next_id + 1;
        rec := ROW(next_id, r.at, r.user_name, coalesce(r.role, 'duty_officer'), r.user_id, r.client_ip, 'reveal',
                   r.complaint_id, r.fields, r.reason, prev, NULL)::access_records;
        rec.hash := access_record_hash(rec);
        INSERT INTO access_records SELECT rec.*;
        prev := rec.hash;
    END LOOP;
END $$;
ALTER TABLE access_records ENABLE TRIGGER access_records_chain;

DROP TABLE IF EXISTS pii_access_log;
-- What the desk's pages read (reveals only), under the old names.
CREATE OR REPLACE VIEW pii_access_log AS
    SELECT id, at, actor_id AS user_id, actor AS user_name, complaint_id, fields, reason, source_ip AS client_ip
    FROM access_records WHERE action = 'reveal';

-- Retention of complainants' personal data (src/intake/retention.py).
ALTER TABLE complaints ADD COLUMN IF NOT EXISTS personal_data_purged_at timestamptz;
CREATE INDEX IF NOT EXISTS complaints_purge_due ON complaints (coalesce(resolved_at, received_at))
    WHERE personal_data_purged_at IS NULL;
CREATE TABLE IF NOT EXISTS pii_purge_log (
    id             bigserial   PRIMARY KEY,
    at             timestamptz NOT NULL DEFAULT clock_timestamp(),
    retention_days integer     NOT NULL,
    cutoff         timestamptz NOT NULL,     -- complaints resolved (or, unresolved, received) before this
    complaints     integer     NOT NULL,
    complaint_ids  uuid[]      NOT NULL,
    actor          text        NOT NULL
);
