-- The change feed in commit order.
--
-- Transaction ids are handed out at a transaction's first write, not at its commit, so ordering
-- by them can put a later write to a row before an earlier one, and a cursor over them must wait
-- for every older transaction of the cluster. Instead every audit event is queued when written
-- and, once its transaction has committed, given the next number of a single counter. Numbering
-- is done by one session at a time (the counter row's lock): a batch numbers exactly what has
-- become visible since the last batch, so a number is never reused, never skipped and never given
-- to a change that could still be followed by an earlier one. Within a batch, audit ids keep the
-- order of writes that touched the same row (the later writer waited for the earlier one's lock).

-- Transaction ids no longer order anything.
DROP INDEX audit_events_feed;

CREATE TABLE change_pending (
    audit_event_id bigint PRIMARY KEY
);

CREATE TABLE change_log (
    sequence       bigint PRIMARY KEY CHECK (sequence > 0),
    audit_event_id bigint NOT NULL CONSTRAINT change_log_audit_event_key UNIQUE
                   CONSTRAINT change_log_audit_event_fkey REFERENCES audit_events (id),
    resource_type  text NOT NULL
);

CREATE TABLE change_clock (
    singleton     boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    last_sequence bigint NOT NULL CHECK (last_sequence >= 0)
);

-- What the feed served before: by transaction, then by row.
INSERT INTO change_log (sequence, audit_event_id, resource_type)
SELECT row_number() OVER (ORDER BY txid, id), id, resource_type FROM audit_events;
INSERT INTO change_clock (last_sequence) SELECT count(*) FROM change_log;

CREATE FUNCTION audit_events_queue_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO change_pending (audit_event_id) SELECT id FROM new_events;
    RETURN NULL;
END $$;

CREATE TRIGGER audit_events_queue_change AFTER INSERT ON audit_events
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_queue_change();

-- Numbers every committed, queued change; returns the last number given. Call it as a statement
-- of its own (autocommit): each statement below takes a fresh snapshot after the counter's lock
-- is held, so it sees every batch numbered before.
CREATE FUNCTION ttdn_number_changes() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    last bigint;
    taken bigint;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM change_pending) THEN
        RETURN (SELECT last_sequence FROM change_clock);
    END IF;
    SELECT last_sequence INTO last FROM change_clock FOR UPDATE;
    WITH queued AS (
        DELETE FROM change_pending RETURNING audit_event_id
    ), numbered AS (
        INSERT INTO change_log (sequence, audit_event_id, resource_type)
        SELECT last + row_number() OVER (ORDER BY q.audit_event_id), q.audit_event_id, a.resource_type
        FROM queued q JOIN audit_events a ON a.id = q.audit_event_id
        RETURNING 1
    )
    SELECT count(*) INTO taken FROM numbered;
    IF taken > 0 THEN
        UPDATE change_clock SET last_sequence = last + taken;
    END IF;
    RETURN last + taken;
END $$;
