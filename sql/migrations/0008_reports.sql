-- Periodic reports (chế độ báo cáo, section IV): periods, an indicator catalogue, one report per
-- unit and period, its review workflow, and the history of every transition.
CREATE TYPE period_kind AS ENUM ('quarterly', 'semiannual', 'annual', 'ad_hoc');

CREATE TABLE report_periods (
    id          text PRIMARY KEY CHECK (id ~ '^[0-9]{4}-[A-Za-z0-9-]{1,20}$'),
    kind        period_kind NOT NULL,
    year        integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    title       nfc_text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    starts_on   date NOT NULL,
    ends_on     date NOT NULL,
    due_on      date NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    version     integer NOT NULL DEFAULT 1,
    CONSTRAINT report_periods_window CHECK (ends_on >= starts_on)
);

CREATE TYPE indicator_aggregation AS ENUM ('sum', 'max', 'latest', 'text');

CREATE TABLE report_indicators (
    code             text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{1,63}$'),
    name             nfc_text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    unit_of_measure  nfc_text CHECK (length(unit_of_measure) <= 50),
    aggregation      indicator_aggregation NOT NULL,
    position         integer NOT NULL DEFAULT 0,
    active           boolean NOT NULL DEFAULT true,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    version          integer NOT NULL DEFAULT 1
);

CREATE TYPE report_status AS ENUM ('draft', 'submitted', 'returned', 'accepted');

CREATE TABLE reports (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    unit_id             uuid NOT NULL CONSTRAINT reports_unit_fkey REFERENCES units (id),
    period_id           text NOT NULL CONSTRAINT reports_period_fkey REFERENCES report_periods (id),
    status              report_status NOT NULL DEFAULT 'draft',
    -- [{"title", "body"}]: the narrative of the report.
    sections            jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(sections) = 'array'),
    attachments         nfc_text[] NOT NULL DEFAULT '{}',
    first_submitted_at  timestamptz,
    submitted_at        timestamptz,
    accepted_at         timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    version             integer NOT NULL DEFAULT 1,
    CONSTRAINT reports_one_per_unit_period UNIQUE (unit_id, period_id),
    CONSTRAINT reports_submitted_has_time CHECK (status IN ('draft') OR first_submitted_at IS NOT NULL)
);

CREATE INDEX reports_period ON reports (period_id, status);

CREATE TABLE report_values (
    report_id       uuid NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    indicator_code  text NOT NULL CONSTRAINT report_values_indicator_fkey REFERENCES report_indicators (code),
    number_value    numeric CHECK (number_value >= 0),
    text_value      nfc_text CHECK (length(text_value) <= 20000),
    prefilled       boolean NOT NULL DEFAULT false,
    PRIMARY KEY (report_id, indicator_code),
    CONSTRAINT report_values_one_kind CHECK ((number_value IS NULL) <> (text_value IS NULL))
);

CREATE TABLE report_tasks (
    report_id  uuid NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    task_id    uuid NOT NULL CONSTRAINT report_tasks_task_fkey REFERENCES plan_tasks (id),
    PRIMARY KEY (report_id, task_id)
);

CREATE TABLE report_transitions (
    id              bigserial PRIMARY KEY,
    report_id       uuid NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    from_status     report_status NOT NULL,
    to_status       report_status NOT NULL,
    actor_token_id  uuid,
    actor_role      token_role,
    comment         nfc_text CHECK (length(comment) <= 5000),
    at              timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX report_transitions_report ON report_transitions (report_id, id);

-- Units obliged to report: district offices and education units, valid on the window's last day.
CREATE FUNCTION ttdn_expected_to_report(kind unit_kind, active boolean, valid_from date, valid_to date, on_day date) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN kind IN ('district_office', 'high_school', 'continuing_education_center', 'affiliated_unit')
        AND active AND (valid_from IS NULL OR valid_from <= on_day) AND (valid_to IS NULL OR valid_to >= on_day);

-- A year's default periods. Data windows follow Decree 09/2019/NĐ-CP (from the 15th of the month
-- before the period to the 14th of its last month); due dates follow the plan (six months: 05/5,
-- year: 05/11); the plan sets no date for quarterly reports, so they are due on the 20th of the
-- quarter's last month. Existing periods are left as they are: every date can be overridden.
CREATE FUNCTION ttdn_generate_periods(for_year integer) RETURNS SETOF report_periods LANGUAGE sql AS $$
    INSERT INTO report_periods (id, kind, year, title, starts_on, ends_on, due_on)
    SELECT for_year || '-' || p.suffix, p.kind::period_kind, for_year, p.title || ' năm ' || for_year,
           make_date(for_year, p.start_month, 15) - CASE WHEN p.start_month = 12 THEN interval '1 year' ELSE interval '0' END,
           make_date(for_year, p.end_month, 14), make_date(for_year, p.due_month, p.due_day)
    FROM (VALUES
        ('Q1', 'quarterly', 'Báo cáo quý I', 12, 3, 3, 20),
        ('Q2', 'quarterly', 'Báo cáo quý II', 3, 6, 6, 20),
        ('Q3', 'quarterly', 'Báo cáo quý III', 6, 9, 9, 20),
        ('Q4', 'quarterly', 'Báo cáo quý IV', 9, 12, 12, 20),
        ('H1', 'semiannual', 'Báo cáo 6 tháng đầu', 12, 6, 5, 5),
        ('Y', 'annual', 'Báo cáo', 12, 12, 11, 5)
    ) AS p(suffix, kind, title, start_month, end_month, due_month, due_day)
    ON CONFLICT (id) DO NOTHING
    RETURNING *;
$$;
