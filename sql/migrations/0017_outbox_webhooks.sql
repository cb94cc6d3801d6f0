-- Telling units and other systems (V.2, "theo dõi, đôn đốc"): every change of the change feed
-- also becomes a named event in an outbox, in the same transaction (a trigger on the audit
-- log); reminders are events too. Events fan out to webhook deliveries and to units' inboxes.

-- The event type of an audited change: `<resource>.<what happened>`; NULL for what is not told
-- (tokens, subscriptions, messages, which have events of their own).
CREATE FUNCTION ttdn_event_type(resource_type text, action text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE
        WHEN resource_type = 'training_participants' THEN 'training_session.registration_changed'
        WHEN resource_type IN ('api_tokens', 'webhook_subscriptions', 'messages') THEN NULL
        ELSE CASE resource_type
                 WHEN 'units' THEN 'unit' WHEN 'plans' THEN 'plan' WHEN 'plan_tasks' THEN 'plan_task'
                 WHEN 'plan_task_assignments' THEN 'assignment' WHEN 'progress_entries' THEN 'progress_entry'
                 WHEN 'unit_plans' THEN 'unit_plan' WHEN 'unit_plan_tasks' THEN 'unit_plan_task' WHEN 'events' THEN 'event'
                 WHEN 'activities' THEN 'activity' WHEN 'difficulties' THEN 'difficulty'
                 WHEN 'training_sessions' THEN 'training_session' WHEN 'media_entries' THEN 'media_entry'
                 WHEN 'report_periods' THEN 'report_period' WHEN 'report_indicators' THEN 'report_indicator'
                 WHEN 'reports' THEN 'report' WHEN 'report_targets' THEN 'report_target'
                 WHEN 'consolidated_reports' THEN 'consolidated_report' WHEN 'attachments' THEN 'attachment'
                 WHEN 'comments' THEN 'comment'
             END || '.' || CASE action
                 WHEN 'create' THEN 'created' WHEN 'import' THEN 'created' WHEN 'update' THEN 'updated'
                 WHEN 'prefill' THEN 'updated' WHEN 'progress' THEN 'updated' WHEN 'delete' THEN 'deleted'
                 WHEN 'submit' THEN 'submitted' WHEN 'accept' THEN 'accepted' WHEN 'return' THEN 'returned'
                 WHEN 'receipt' THEN 'received' WHEN 'close' THEN 'closed' WHEN 'reopen' THEN 'reopened'
                 WHEN 'refresh' THEN 'refreshed' WHEN 'approve' THEN 'approved' WHEN 'send' THEN 'sent'
                 WHEN 'answer' THEN 'answered' ELSE action
             END
    END;

CREATE TABLE outbox_events (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    sequence       bigserial NOT NULL CONSTRAINT outbox_events_sequence_key UNIQUE,
    type           text NOT NULL CHECK (type ~ '^[a-z_]+\.[a-z_]+$'),
    occurred_at    timestamptz NOT NULL DEFAULT now(),
    resource_type  text,
    resource_id    text,
    action         text,
    -- The unit the event concerns (a subscription's or an inbox's scope); NULL: every unit.
    unit_id        uuid,
    -- The resource as the API returns it (null once deleted), or the reminder's facts.
    data           jsonb,
    audit_event_id bigint CONSTRAINT outbox_events_audit_event_key UNIQUE
                   CONSTRAINT outbox_events_audit_event_fkey REFERENCES audit_events (id),
    -- A reminder is emitted once per unit and occasion, whichever process emits it.
    occasion       text CONSTRAINT outbox_events_occasion_key UNIQUE
);
CREATE INDEX outbox_events_type ON outbox_events (type, sequence);

-- The unit a change concerns: the unit itself, or the record's unit.
CREATE FUNCTION ttdn_event_unit(resource_type text, resource_id text, after jsonb, before jsonb) RETURNS uuid
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE
        WHEN resource_type = 'units' THEN resource_id::uuid
        ELSE coalesce(after->>'unit_id', before->>'unit_id', after->>'related_unit_id', before->>'related_unit_id',
                      after->>'organiser_unit_id', before->>'organiser_unit_id')::uuid
    END;

CREATE FUNCTION audit_events_to_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO outbox_events (type, occurred_at, resource_type, resource_id, action, unit_id, data, audit_event_id)
    SELECT ttdn_event_type(n.resource_type, n.action), n.occurred_at, n.resource_type, n.resource_id, n.action,
           ttdn_event_unit(n.resource_type, n.resource_id, n.after, n.before), n.after, n.id
    FROM new_events n
    WHERE ttdn_event_type(n.resource_type, n.action) IS NOT NULL
    ORDER BY n.id;
    RETURN NULL;
END $$;

CREATE TRIGGER audit_events_to_outbox AFTER INSERT ON audit_events
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_to_outbox();

-- ------------------------------------------------------------------ webhooks
CREATE TABLE webhook_subscriptions (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    url                  text NOT NULL CONSTRAINT webhook_subscriptions_url CHECK (url ~ '^https?://[^\s/?#]+' AND length(url) <= 2000),
    description          nfc_text CHECK (length(description) <= 500),
    -- Event types (`report.submitted`) or families (`report.*`); empty: every event.
    event_types          text[] NOT NULL DEFAULT '{}'
                         CONSTRAINT webhook_subscriptions_event_types CHECK (cardinality(event_types) <= 100),
    -- Only events of this unit and the units below it; NULL: all.
    unit_id              uuid CONSTRAINT webhook_subscriptions_unit_fkey REFERENCES units (id),
    -- `whsec_` and base64 of 32 random bytes; shown once, kept to sign deliveries.
    secret               text NOT NULL CHECK (secret ~ '^whsec_[A-Za-z0-9+/=]{40,}$'),
    active               boolean NOT NULL DEFAULT true,
    disabled_reason      text,
    consecutive_failures integer NOT NULL DEFAULT 0,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    version              integer NOT NULL DEFAULT 1
);

CREATE TYPE webhook_delivery_status AS ENUM ('pending', 'succeeded', 'failed');

CREATE TABLE webhook_deliveries (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    subscription_id uuid NOT NULL CONSTRAINT webhook_deliveries_subscription_fkey REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    event_id        uuid NOT NULL CONSTRAINT webhook_deliveries_event_fkey REFERENCES outbox_events (id),
    status          webhook_delivery_status NOT NULL DEFAULT 'pending',
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz,
    -- A process delivering it holds it until then; past it, another process may take it over.
    leased_until    timestamptz,
    last_status     integer,
    last_error      text,
    last_latency_ms integer,
    created_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    CONSTRAINT webhook_deliveries_event_key UNIQUE (subscription_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_subscription ON webhook_deliveries (subscription_id, created_at DESC, id DESC);

CREATE TABLE webhook_attempts (
    delivery_id uuid NOT NULL CONSTRAINT webhook_attempts_delivery_fkey REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt     integer NOT NULL,
    started_at  timestamptz NOT NULL,
    status      integer,
    latency_ms  integer NOT NULL,
    error       text,
    PRIMARY KEY (delivery_id, attempt)
);

-- Whether an event goes to a subscription: its type or family, and its unit.
CREATE FUNCTION outbox_events_fan_out() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO webhook_deliveries (subscription_id, event_id, next_attempt_at)
    SELECT s.id, e.id, now()
    FROM new_events e JOIN webhook_subscriptions s ON s.active
     AND (cardinality(s.event_types) = 0 OR e.type = ANY (s.event_types) OR split_part(e.type, '.', 1) || '.*' = ANY (s.event_types))
     AND (s.unit_id IS NULL OR e.unit_id IN (SELECT ttdn_unit_subtree(s.unit_id)));
    RETURN NULL;
END $$;

CREATE TRIGGER outbox_events_fan_out AFTER INSERT ON outbox_events
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_events_fan_out();

-- ------------------------------------------------------------------ the units' inbox
-- What the office sends units ("please send the H1 report").
CREATE TABLE messages (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    title      nfc_text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    body       nfc_text NOT NULL CHECK (length(body) BETWEEN 1 AND 20000),
    unit_id    uuid CONSTRAINT messages_unit_fkey REFERENCES units (id),
    unit_kind  unit_kind,
    parent_id  uuid CONSTRAINT messages_parent_fkey REFERENCES units (id),
    recipients uuid[] NOT NULL,
    sent_by    uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    version    integer NOT NULL DEFAULT 1,
    CONSTRAINT messages_one_audience CHECK (num_nonnulls(unit_id, unit_kind, parent_id) = 1)
);

CREATE TABLE notifications (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    event_id   uuid NOT NULL CONSTRAINT notifications_event_key UNIQUE CONSTRAINT notifications_event_fkey REFERENCES outbox_events (id),
    -- NULL: every unit's.
    unit_id    uuid,
    type       text NOT NULL,
    title      text NOT NULL,
    body       text,
    resource_type text,
    resource_id   text,
    created_at timestamptz NOT NULL,
    read_at    timestamptz,
    read_by    uuid,
    version    integer NOT NULL DEFAULT 1
);
CREATE INDEX notifications_unit ON notifications (unit_id, created_at DESC, id DESC);

-- The events that concern a unit reach its inbox: reminders, a returned report with the
-- office's comment, a new assignment, a message.
CREATE FUNCTION outbox_events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO notifications (event_id, unit_id, type, title, body, resource_type, resource_id, created_at)
    SELECT e.id, e.unit_id, e.type,
           CASE e.type
               WHEN 'report.returned' THEN 'Báo cáo bị trả lại: ' || coalesce(e.data->>'period_id', '')
               WHEN 'assignment.created' THEN 'Nhiệm vụ mới được giao'
               ELSE coalesce(e.data->>'title', e.type)
           END,
           CASE e.type
               WHEN 'report.returned' THEN e.data->'history'->-1->>'comment'
               ELSE e.data->>'body'
           END,
           e.resource_type, e.resource_id, e.occurred_at
    FROM new_events e
    WHERE e.type IN ('report.due_soon', 'report.overdue', 'assignment.due_soon', 'assignment.overdue',
                     'training_session.registration_closing', 'report.returned', 'assignment.created', 'message.sent')
      -- What seeding records is the starting state, not news for anybody's inbox.
      AND NOT EXISTS (SELECT 1 FROM audit_events a WHERE a.id = e.audit_event_id AND a.request_id = 'seed');
    RETURN NULL;
END $$;

CREATE TRIGGER outbox_events_notify AFTER INSERT ON outbox_events
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_events_notify();

-- ------------------------------------------------------------------ what reminders are about
-- The expected units of every open period that have not submitted (a submitted or accepted
-- report counts; a draft or a returned one does not).
CREATE FUNCTION ttdn_units_yet_to_report()
RETURNS TABLE (period_id text, period_title text, due_on date, unit_id uuid) LANGUAGE sql STABLE AS $$
    SELECT p.id, p.title::text, p.due_on, u.unit_id
    FROM report_periods p CROSS JOIN LATERAL ttdn_period_units(p.id) u
    WHERE p.closed_at IS NULL
      AND NOT EXISTS (SELECT 1 FROM reports r WHERE r.period_id = p.id AND r.unit_id = u.unit_id AND r.status IN ('submitted', 'accepted'))
$$;

-- The assignments not done on a day, with their deadline: their own, or their task's.
CREATE FUNCTION ttdn_open_assignments(on_day date)
RETURNS TABLE (assignment_id uuid, unit_id uuid, task_code text, task_title text, deadline date) LANGUAGE sql STABLE AS $$
    SELECT a.id, a.unit_id, t.code::text, t.title::text, coalesce(a.due_on, ttdn_task_deadline(t.due_on, t.year, t.quarter))
    FROM plan_task_assignments a JOIN plan_tasks t ON t.id = a.task_id
    JOIN ttdn_assignment_states(on_day, NULL) s ON s.assignment_id = a.id
    WHERE s.status NOT IN ('done', 'cancelled')
$$;
