-- Plan progress as history, rolled up, and the units' own implementation plans.
--
-- Progress is no longer a column overwritten in place: every change is an appended entry in
-- `progress_entries`, dated with the day it became true (`effective_on`). The state of a task,
-- an assignment or a unit's own task on a day is its latest entry on or before that day, and
-- what rolls up (assignments into tasks, work items into headings, a unit's plan into its
-- assignment, held sessions into a training task) is computed from those states by the
-- functions below, the one definition every endpoint reads.

-- A unit's implementation plan of a Department plan (Section IV: every district office and
-- school builds its own from the Department's).
CREATE TABLE unit_plans (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    unit_id     uuid NOT NULL CONSTRAINT unit_plans_unit_fkey REFERENCES units (id),
    plan_id     uuid NOT NULL CONSTRAINT unit_plans_plan_fkey REFERENCES plans (id),
    number      nfc_text CHECK (length(number) <= 100),
    title       nfc_text NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
    issued_on   date,
    status      plan_status NOT NULL DEFAULT 'draft',
    note        nfc_text CHECK (length(note) <= 5000),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    version     integer NOT NULL DEFAULT 1,
    CONSTRAINT unit_plans_one_per_unit_plan UNIQUE (unit_id, plan_id)
);

CREATE INDEX unit_plans_plan ON unit_plans (plan_id, unit_id);

-- A task of a unit's plan, each implementing one task of the Department plan.
CREATE TABLE unit_plan_tasks (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    unit_plan_id        uuid NOT NULL CONSTRAINT unit_plan_tasks_plan_fkey REFERENCES unit_plans (id) ON DELETE CASCADE,
    implements_task_id  uuid NOT NULL CONSTRAINT unit_plan_tasks_implements_fkey REFERENCES plan_tasks (id),
    position            integer NOT NULL DEFAULT 0,
    title               nfc_text NOT NULL CHECK (length(title) BETWEEN 1 AND 1000),
    description         nfc_text CHECK (length(description) <= 20000),
    starts_on           date,
    due_on              date,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    version             integer NOT NULL DEFAULT 1,
    CONSTRAINT unit_plan_tasks_dates CHECK (starts_on IS NULL OR due_on IS NULL OR due_on >= starts_on)
);

CREATE INDEX unit_plan_tasks_plan ON unit_plan_tasks (unit_plan_id, position, id);
CREATE INDEX unit_plan_tasks_implements ON unit_plan_tasks (implements_task_id);

-- The Department task a unit task implements belongs to the plan the unit plan implements.
CREATE FUNCTION unit_plan_tasks_check_task() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM unit_plans up JOIN plan_tasks t ON t.plan_id = up.plan_id
        WHERE up.id = NEW.unit_plan_id AND t.id = NEW.implements_task_id
    ) THEN
        RAISE EXCEPTION 'the implemented task belongs to another plan'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'unit_plan_tasks_same_plan';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER unit_plan_tasks_same_plan BEFORE INSERT OR UPDATE OF implements_task_id, unit_plan_id ON unit_plan_tasks
    FOR EACH ROW EXECUTE FUNCTION unit_plan_tasks_check_task();

-- Every progress change of a Department task, an assignment or a unit task, appended.
-- A task's own entries are the progress of a task nothing rolls up into, or an admin's
-- override of its roll-up (`override`); an override entry without a status ends the override.
CREATE TABLE progress_entries (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    task_id         uuid CONSTRAINT progress_entries_task_fkey REFERENCES plan_tasks (id) ON DELETE CASCADE,
    assignment_id   uuid CONSTRAINT progress_entries_assignment_fkey REFERENCES plan_task_assignments (id) ON DELETE CASCADE,
    unit_task_id    uuid CONSTRAINT progress_entries_unit_task_fkey REFERENCES unit_plan_tasks (id) ON DELETE CASCADE,
    effective_on    date NOT NULL,
    status          task_status,
    progress        integer CHECK (progress BETWEEN 0 AND 100),
    completed_on    date,
    note            nfc_text CHECK (length(note) <= 5000),
    evidence_urls   nfc_text[] NOT NULL DEFAULT '{}',
    override        boolean NOT NULL DEFAULT false,
    recorded_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor_token_id  uuid,
    actor_role      token_role,
    CONSTRAINT progress_entries_one_subject CHECK (num_nonnulls(task_id, assignment_id, unit_task_id) = 1),
    CONSTRAINT progress_entries_status_progress CHECK (
        (status IS NULL AND progress IS NULL AND completed_on IS NULL AND override AND task_id IS NOT NULL)
        OR (status = 'not_started' AND progress = 0)
        OR (status = 'done' AND progress = 100 AND completed_on IS NOT NULL)
        OR (status IN ('in_progress', 'cancelled') AND progress IS NOT NULL)),
    CONSTRAINT progress_entries_completed_only_when_done CHECK (completed_on IS NULL OR status = 'done'),
    CONSTRAINT progress_entries_completed_by_effective CHECK (completed_on IS NULL OR completed_on <= effective_on),
    CONSTRAINT progress_entries_override_on_tasks CHECK (NOT override OR task_id IS NOT NULL)
);

CREATE INDEX progress_entries_task ON progress_entries (task_id, effective_on, recorded_at) WHERE task_id IS NOT NULL;
CREATE INDEX progress_entries_assignment ON progress_entries (assignment_id, effective_on, recorded_at) WHERE assignment_id IS NOT NULL;
CREATE INDEX progress_entries_unit_task ON progress_entries (unit_task_id, effective_on, recorded_at) WHERE unit_task_id IS NOT NULL;

-- Entries are history: never edited; they go only with their subject.
CREATE FUNCTION progress_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'progress entries are appended, never changed'
        USING ERRCODE = 'check_violation', CONSTRAINT = 'progress_entries_append_only';
END $$;

CREATE TRIGGER progress_entries_append_only BEFORE UPDATE ON progress_entries
    FOR EACH ROW EXECUTE FUNCTION progress_entries_append_only();

-- What existed before becomes the first entry of each task and assignment, dated the day it
-- was completed (or last changed): a task set by hand that something rolls up into keeps its
-- value as an admin's override.
INSERT INTO progress_entries (task_id, effective_on, status, progress, completed_on, override, recorded_at)
SELECT t.id, coalesce(t.completed_on, (t.updated_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date), t.status, t.progress, t.completed_on,
       EXISTS (SELECT 1 FROM plan_tasks c WHERE c.parent_id = t.id)
       OR EXISTS (SELECT 1 FROM plan_task_assignments a WHERE a.task_id = t.id)
       OR EXISTS (SELECT 1 FROM training_sessions s WHERE s.plan_task_id = t.id),
       t.updated_at
FROM plan_tasks t WHERE t.status <> 'not_started';

INSERT INTO progress_entries (assignment_id, effective_on, status, progress, completed_on, note, evidence_urls, recorded_at)
SELECT a.id, coalesce(a.completed_on, (a.updated_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date), a.status, a.progress, a.completed_on,
       a.note, a.evidence_urls, a.updated_at
FROM plan_task_assignments a WHERE a.status <> 'not_started' OR a.evidence_urls <> '{}';

ALTER TABLE plan_tasks DROP CONSTRAINT plan_tasks_status_progress, DROP CONSTRAINT plan_tasks_completed_only_when_done,
    DROP COLUMN status, DROP COLUMN progress, DROP COLUMN completed_on;
ALTER TABLE plan_task_assignments DROP CONSTRAINT plan_task_assignments_status_progress,
    DROP CONSTRAINT plan_task_assignments_completed_only_when_done,
    DROP COLUMN status, DROP COLUMN progress, DROP COLUMN completed_on, DROP COLUMN evidence_urls;

-- The state of something on a day.
CREATE TYPE progress_state AS (status task_status, progress integer, completed_on date);

-- The roll-up rule, once: cancelled items do not count unless all are cancelled; done when every
-- other item is done, on the day of the last; not started while none has started; progress is
-- the mean of the items' progress, rounded down (so 100 only when all are done).
CREATE FUNCTION ttdn_roll_up(statuses task_status[], progresses integer[], completions date[]) RETURNS progress_state
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (
        SELECT CASE
            WHEN count(*) = 0 THEN NULL
            WHEN count(*) FILTER (WHERE s <> 'cancelled') = 0 THEN ROW('cancelled', 0, NULL)::progress_state
            WHEN bool_and(s = 'done') FILTER (WHERE s <> 'cancelled') THEN ROW('done', 100, max(c) FILTER (WHERE s = 'done'))::progress_state
            WHEN bool_and(s = 'not_started') FILTER (WHERE s <> 'cancelled') THEN ROW('not_started', 0, NULL)::progress_state
            ELSE ROW('in_progress', floor(avg(p) FILTER (WHERE s <> 'cancelled'))::integer, NULL)::progress_state
        END
        FROM unnest(statuses, progresses, completions) AS item(s, p, c));

-- "Held" and "trained", once. A session is held on the day it ended (or started, or, with no
-- time at all, the end of its planned quarter or year); nothing else is held.
CREATE FUNCTION ttdn_session_held_on(status training_status, starts_at timestamptz, ends_at timestamptz,
                                     planned_year integer, planned_quarter integer) RETURNS date
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN status = 'held' THEN coalesce(
        (coalesce(ends_at, starts_at) AT TIME ZONE 'Asia/Ho_Chi_Minh')::date,
        ttdn_task_deadline(NULL, planned_year, planned_quarter)) END;

-- A person is trained by a held session they were registered for and attended (present or late).
CREATE VIEW trained_participants AS
SELECT p.id AS participant_id, p.session_id, p.unit_id, s.plan_task_id,
       ttdn_session_held_on(s.status, s.starts_at, s.ends_at, s.planned_year, s.planned_quarter) AS held_on
FROM training_participants p JOIN training_sessions s ON s.id = p.session_id
WHERE s.status = 'held' AND p.state = 'registered' AND p.attendance IN ('present', 'late');

-- A held session whose attendance is marked is a record of people trained: it cannot be undone.
CREATE FUNCTION training_sessions_keep_held() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'held' AND NEW.status <> 'held' AND EXISTS (
        SELECT 1 FROM training_participants p WHERE p.session_id = OLD.id AND p.attendance IS NOT NULL
    ) THEN
        RAISE EXCEPTION 'a held session with attendance stays held'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'training_sessions_held_with_attendance';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER training_sessions_keep_held BEFORE UPDATE OF status ON training_sessions
    FOR EACH ROW EXECUTE FUNCTION training_sessions_keep_held();

-- Unit tasks on a day: their own latest entry, or not started.
CREATE FUNCTION ttdn_unit_task_states(on_day date)
RETURNS TABLE (unit_task_id uuid, unit_plan_id uuid, unit_id uuid, implements_task_id uuid,
               status task_status, progress integer, completed_on date, effective_on date)
LANGUAGE sql STABLE AS $$
    SELECT ut.id, ut.unit_plan_id, up.unit_id, ut.implements_task_id,
           coalesce(e.status, 'not_started'), coalesce(e.progress, 0), e.completed_on, e.effective_on
    FROM unit_plan_tasks ut JOIN unit_plans up ON up.id = ut.unit_plan_id
    LEFT JOIN LATERAL (
        SELECT e.status, e.progress, e.completed_on, e.effective_on FROM progress_entries e
        WHERE e.unit_task_id = ut.id AND e.effective_on <= on_day
        ORDER BY e.effective_on DESC, e.recorded_at DESC, e.id DESC LIMIT 1
    ) e ON true
$$;

-- Assignments on a day: rolled up from the unit's own plan tasks that implement the task when
-- there are any (source `unit_plan`), unless the assignment's own latest entry is more recent
-- than anything those tasks reported (entries made before the unit planned keep their meaning
-- on their days); else their own latest entry (`entries`), else not started.
CREATE FUNCTION ttdn_assignment_states(on_day date, plan uuid)
RETURNS TABLE (assignment_id uuid, task_id uuid, unit_id uuid, status task_status, progress integer,
               completed_on date, note text, evidence_urls text[], effective_on date, source text)
LANGUAGE sql STABLE AS $$
    WITH fed AS (
        SELECT s.implements_task_id AS task_id, s.unit_id,
               ttdn_roll_up(array_agg(s.status), array_agg(s.progress), array_agg(s.completed_on)) AS state,
               max(s.effective_on) AS effective_on
        FROM ttdn_unit_task_states(on_day) s JOIN plan_tasks t ON t.id = s.implements_task_id
        WHERE plan IS NULL OR t.plan_id = plan
        GROUP BY s.implements_task_id, s.unit_id
    )
    SELECT a.id, a.task_id, a.unit_id,
           CASE WHEN use_fed THEN (fed.state).status ELSE coalesce(e.status, 'not_started') END,
           CASE WHEN use_fed THEN (fed.state).progress ELSE coalesce(e.progress, 0) END,
           CASE WHEN use_fed THEN (fed.state).completed_on ELSE e.completed_on END,
           coalesce(e.note, a.note), coalesce(e.evidence_urls::text[], '{}'),
           CASE WHEN use_fed THEN fed.effective_on ELSE e.effective_on END,
           CASE WHEN use_fed THEN 'unit_plan' ELSE 'entries' END
    FROM plan_task_assignments a JOIN plan_tasks t ON t.id = a.task_id
    LEFT JOIN fed ON fed.task_id = a.task_id AND fed.unit_id = a.unit_id
    LEFT JOIN LATERAL (
        SELECT e.status, e.progress, e.completed_on, e.note, e.evidence_urls, e.effective_on FROM progress_entries e
        WHERE e.assignment_id = a.id AND e.effective_on <= on_day
        ORDER BY e.effective_on DESC, e.recorded_at DESC, e.id DESC LIMIT 1
    ) e ON true
    CROSS JOIN LATERAL (
        SELECT fed.task_id IS NOT NULL AND (e.effective_on IS NULL OR fed.effective_on >= e.effective_on) AS use_fed
    ) choice
    WHERE plan IS NULL OR t.plan_id = plan
$$;

-- Department tasks on a day. A heading (a task with sub-tasks) is the roll-up of the work items
-- below it (`children`); a work item with assignments or linked training sessions is their
-- roll-up (`assignments`, `trainings`; a session counts as done once held); any other work
-- item follows its own entries (`entries`). An admin's override entry wins over a roll-up from
-- its day on (`override`), until an entry without a status ends it.
CREATE FUNCTION ttdn_task_states(on_day date, plan uuid)
RETURNS TABLE (task_id uuid, status task_status, progress integer, completed_on date, effective_on date,
               source text, is_heading boolean)
LANGUAGE sql STABLE AS $$
    WITH RECURSIVE task AS (
        SELECT t.id, t.parent_id, EXISTS (SELECT 1 FROM plan_tasks c WHERE c.parent_id = t.id) AS is_heading
        FROM plan_tasks t WHERE plan IS NULL OR t.plan_id = plan
    ), own AS (
        SELECT DISTINCT ON (e.task_id) e.task_id, e.status, e.progress, e.completed_on, e.override, e.effective_on
        FROM progress_entries e JOIN task ON task.id = e.task_id
        WHERE e.effective_on <= on_day
        ORDER BY e.task_id, e.effective_on DESC, e.recorded_at DESC, e.id DESC
    ), item AS (
        SELECT s.task_id, 'assignments' AS kind, s.status, s.progress, s.completed_on, s.effective_on
        FROM ttdn_assignment_states(on_day, plan) s
        UNION ALL
        SELECT ts.plan_task_id, 'trainings',
               CASE WHEN held.day <= on_day THEN 'done' ELSE 'not_started' END::task_status,
               CASE WHEN held.day <= on_day THEN 100 ELSE 0 END,
               CASE WHEN held.day <= on_day THEN held.day END,
               CASE WHEN held.day <= on_day THEN held.day END
        FROM training_sessions ts JOIN task ON task.id = ts.plan_task_id
        CROSS JOIN LATERAL (SELECT ttdn_session_held_on(ts.status, ts.starts_at, ts.ends_at, ts.planned_year, ts.planned_quarter) AS day) held
        WHERE ts.status <> 'cancelled'
    ), fed AS (
        SELECT item.task_id, min(item.kind) AS source,
               ttdn_roll_up(array_agg(item.status), array_agg(item.progress), array_agg(item.completed_on)) AS state,
               max(item.effective_on) AS effective_on
        FROM item GROUP BY item.task_id
    ), work AS (
        SELECT task.id, task.parent_id,
               CASE WHEN own.override AND own.status IS NOT NULL THEN ROW(own.status, own.progress, own.completed_on)::progress_state
                    WHEN fed.task_id IS NOT NULL THEN fed.state
                    WHEN own.status IS NOT NULL AND NOT own.override THEN ROW(own.status, own.progress, own.completed_on)::progress_state
                    ELSE ROW('not_started', 0, NULL)::progress_state END AS state,
               CASE WHEN own.override AND own.status IS NOT NULL THEN own.effective_on
                    WHEN fed.task_id IS NOT NULL THEN fed.effective_on ELSE own.effective_on END AS effective_on,
               CASE WHEN own.override AND own.status IS NOT NULL THEN 'override'
                    WHEN fed.task_id IS NOT NULL THEN fed.source ELSE 'entries' END AS source
        FROM task LEFT JOIN own ON own.task_id = task.id LEFT JOIN fed ON fed.task_id = task.id
        WHERE NOT task.is_heading
    ), below(heading_id, work_id) AS (
        SELECT work.parent_id, work.id FROM work WHERE work.parent_id IS NOT NULL
        UNION ALL
        SELECT t.parent_id, below.work_id FROM below JOIN plan_tasks t ON t.id = below.heading_id WHERE t.parent_id IS NOT NULL
    ), heading AS (
        SELECT below.heading_id,
               ttdn_roll_up(array_agg((work.state).status), array_agg((work.state).progress), array_agg((work.state).completed_on)) AS state,
               max(work.effective_on) AS effective_on
        FROM below JOIN work ON work.id = below.work_id GROUP BY below.heading_id
    )
    SELECT work.id, (work.state).status, (work.state).progress, (work.state).completed_on, work.effective_on, work.source, false
    FROM work
    UNION ALL
    SELECT task.id,
           CASE WHEN own.override AND own.status IS NOT NULL THEN own.status ELSE coalesce((heading.state).status, 'not_started') END,
           CASE WHEN own.override AND own.status IS NOT NULL THEN own.progress ELSE coalesce((heading.state).progress, 0) END,
           CASE WHEN own.override AND own.status IS NOT NULL THEN own.completed_on ELSE (heading.state).completed_on END,
           CASE WHEN own.override AND own.status IS NOT NULL THEN own.effective_on ELSE heading.effective_on END,
           CASE WHEN own.override AND own.status IS NOT NULL THEN 'override' ELSE 'children' END,
           true
    FROM task LEFT JOIN own ON own.task_id = task.id LEFT JOIN heading ON heading.heading_id = task.id
    WHERE task.is_heading
$$;
