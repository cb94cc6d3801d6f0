-- Plans (one per issuing unit and year may be active) and their tasks, as numbered in the plan.
CREATE TYPE plan_status AS ENUM ('draft', 'active', 'closed');

CREATE TABLE plans (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    year             integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    number           nfc_text CHECK (length(number) <= 100),
    title            nfc_text NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
    issuing_unit_id  uuid NOT NULL CONSTRAINT plans_issuing_unit_fkey REFERENCES units (id),
    signer           nfc_text CHECK (length(signer) <= 200),
    signer_title     nfc_text CHECK (length(signer_title) <= 200),
    issued_on        date,
    -- [{"number", "date", "issuer", "title"}]: the documents the plan implements.
    legal_bases      jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(legal_bases) = 'array'),
    purposes         nfc_text[] NOT NULL DEFAULT '{}',
    requirements     nfc_text[] NOT NULL DEFAULT '{}',
    status           plan_status NOT NULL DEFAULT 'draft',
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    version          integer NOT NULL DEFAULT 1
);

CREATE UNIQUE INDEX plans_one_active_per_unit_year ON plans (issuing_unit_id, year) WHERE status = 'active';
CREATE INDEX plans_order ON plans (year DESC, id);

CREATE TYPE task_category AS ENUM ('state_management', 'core_task', 'content_theme', 'form_channel', 'training');
CREATE TYPE task_status AS ENUM ('not_started', 'in_progress', 'done', 'cancelled');

CREATE TABLE plan_tasks (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    plan_id          uuid NOT NULL CONSTRAINT plan_tasks_plan_fkey REFERENCES plans (id),
    code             nfc_text NOT NULL CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9.]{0,39}$'),
    position         integer NOT NULL,
    title            nfc_text NOT NULL CHECK (length(title) BETWEEN 1 AND 1000),
    description      nfc_text CHECK (length(description) <= 20000),
    parent_id        uuid CONSTRAINT plan_tasks_parent_fkey REFERENCES plan_tasks (id),
    category         task_category NOT NULL,
    year             integer CHECK (year BETWEEN 2000 AND 2100),
    quarter          integer CHECK (quarter BETWEEN 1 AND 4),
    starts_on        date,
    due_on           date,
    expected_outputs nfc_text[] NOT NULL DEFAULT '{}',
    status           task_status NOT NULL DEFAULT 'not_started',
    progress         integer NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    completed_on     date,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    version          integer NOT NULL DEFAULT 1,
    search           tsvector GENERATED ALWAYS AS (
                         to_tsvector('simple', ttdn_search_text(code || ' ' || title || ' ' || coalesce(description, '')))
                     ) STORED,
    CONSTRAINT plan_tasks_code_key UNIQUE (plan_id, code),
    CONSTRAINT plan_tasks_not_own_parent CHECK (parent_id <> id),
    CONSTRAINT plan_tasks_dates CHECK (starts_on IS NULL OR due_on IS NULL OR due_on >= starts_on),
    CONSTRAINT plan_tasks_quarter_needs_year CHECK (quarter IS NULL OR year IS NOT NULL),
    CONSTRAINT plan_tasks_status_progress CHECK (
        (status = 'not_started' AND progress = 0)
        OR (status = 'done' AND progress = 100 AND completed_on IS NOT NULL)
        OR status IN ('in_progress', 'cancelled')),
    CONSTRAINT plan_tasks_completed_only_when_done CHECK (completed_on IS NULL OR status = 'done')
);

CREATE INDEX plan_tasks_plan_order ON plan_tasks (plan_id, position, id);
CREATE INDEX plan_tasks_parent ON plan_tasks (parent_id);
CREATE INDEX plan_tasks_search ON plan_tasks USING gin (search);

-- A parent task belongs to the same plan.
CREATE FUNCTION plan_tasks_check_parent() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.parent_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM plan_tasks p WHERE p.id = NEW.parent_id AND p.plan_id = NEW.plan_id
    ) THEN
        RAISE EXCEPTION 'the parent task belongs to another plan'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'plan_tasks_parent_same_plan';
    END IF;
    IF NEW.parent_id IS NOT NULL AND EXISTS (
        WITH RECURSIVE up(id) AS (
            SELECT NEW.parent_id
            UNION SELECT t.parent_id FROM plan_tasks t JOIN up ON t.id = up.id WHERE t.parent_id IS NOT NULL
        ) SELECT 1 FROM up WHERE id = NEW.id
    ) THEN
        RAISE EXCEPTION 'a task cannot be its own ancestor'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'plan_tasks_no_cycle';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER plan_tasks_parent_rules BEFORE INSERT OR UPDATE OF parent_id, plan_id ON plan_tasks
    FOR EACH ROW EXECUTE FUNCTION plan_tasks_check_parent();

-- Lead (chủ trì) and cooperating (phối hợp) units of a task.
CREATE TABLE plan_task_units (
    task_id  uuid NOT NULL REFERENCES plan_tasks (id) ON DELETE CASCADE,
    unit_id  uuid NOT NULL CONSTRAINT plan_task_units_unit_fkey REFERENCES units (id),
    role     text NOT NULL CHECK (role IN ('lead', 'cooperating')),
    PRIMARY KEY (task_id, unit_id)
);

CREATE INDEX plan_task_units_unit ON plan_task_units (unit_id, role);

-- How each unit carries a task out in its own way, and how far it got.
CREATE TABLE plan_task_assignments (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    task_id        uuid NOT NULL CONSTRAINT plan_task_assignments_task_fkey REFERENCES plan_tasks (id),
    unit_id        uuid NOT NULL CONSTRAINT plan_task_assignments_unit_fkey REFERENCES units (id),
    status         task_status NOT NULL DEFAULT 'not_started',
    progress       integer NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    note           nfc_text CHECK (length(note) <= 5000),
    evidence_urls  nfc_text[] NOT NULL DEFAULT '{}',
    due_on         date,
    completed_on   date,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    version        integer NOT NULL DEFAULT 1,
    CONSTRAINT plan_task_assignments_unit_key UNIQUE (task_id, unit_id),
    CONSTRAINT plan_task_assignments_status_progress CHECK (
        (status = 'not_started' AND progress = 0)
        OR (status = 'done' AND progress = 100 AND completed_on IS NOT NULL)
        OR status IN ('in_progress', 'cancelled')),
    CONSTRAINT plan_task_assignments_completed_only_when_done CHECK (completed_on IS NULL OR status = 'done')
);

CREATE INDEX plan_task_assignments_unit ON plan_task_assignments (unit_id);

-- The deadline a task is judged by: its due date, else the end of its quarter, else of its year.
CREATE FUNCTION ttdn_task_deadline(due_on date, year integer, quarter integer) RETURNS date
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN coalesce(
        due_on,
        CASE WHEN quarter IS NOT NULL THEN (make_date(year, quarter * 3, 1) + interval '1 month' - interval '1 day')::date END,
        CASE WHEN year IS NOT NULL THEN make_date(year, 12, 31) END);

-- The government's four classes of progress, on a given day in Hai Phong. Derived, never stored.
CREATE FUNCTION ttdn_progress_class(status task_status, completed_on date, deadline date, on_day date) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE
        WHEN status = 'cancelled' THEN NULL
        WHEN status = 'done' AND completed_on <= on_day THEN
            CASE WHEN deadline IS NULL OR completed_on <= deadline THEN 'done_on_time' ELSE 'done_late' END
        WHEN deadline IS NULL OR on_day <= deadline THEN 'in_progress_on_time'
        ELSE 'overdue'
    END;
