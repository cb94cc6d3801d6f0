-- Reporting that holds up over time (issue 17): regimes as data, the obligation to report as
-- dates, receipt dates, closed periods with a snapshot of who was expected, yearly targets.

-- Regimes: the periods a year is cut into, with their windows and due dates, as rows.
-- Month offsets count from January of the period's year (-2 = November of the year before);
-- end_day 0 is the last day of its month.
CREATE TABLE report_regimes (
    code        text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{1,30}$'),
    name        nfc_text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    is_default  boolean NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX report_regimes_one_default ON report_regimes (is_default) WHERE is_default;

CREATE TABLE report_regime_periods (
    regime              text NOT NULL REFERENCES report_regimes (code),
    suffix              text NOT NULL CHECK (suffix ~ '^[A-Za-z0-9-]{1,20}$'),
    kind                period_kind NOT NULL,
    title               nfc_text NOT NULL,
    start_month_offset  integer NOT NULL CHECK (start_month_offset BETWEEN -12 AND 11),
    start_day           integer NOT NULL CHECK (start_day BETWEEN 1 AND 28),
    end_month_offset    integer NOT NULL CHECK (end_month_offset BETWEEN -12 AND 11),
    end_day             integer NOT NULL CHECK (end_day BETWEEN 0 AND 28),
    due_month_offset    integer NOT NULL CHECK (due_month_offset BETWEEN -12 AND 12),
    due_day             integer NOT NULL CHECK (due_day BETWEEN 1 AND 28),
    PRIMARY KEY (regime, suffix)
);

INSERT INTO report_regimes (code, name, is_default) VALUES
    ('plan', 'Theo kế hoạch: báo cáo gửi ngày 05 tổng hợp số liệu đến hết tháng trước', true),
    ('decree_09', 'Theo Nghị định 09/2019/NĐ-CP: số liệu từ ngày 15 tháng trước kỳ đến ngày 14 tháng cuối kỳ', false);

INSERT INTO report_regime_periods VALUES
    ('plan', 'Q1', 'quarterly', 'Báo cáo quý I', -2, 1, 0, 0, 1, 5),
    ('plan', 'Q2', 'quarterly', 'Báo cáo quý II', 1, 1, 3, 0, 4, 5),
    ('plan', 'Q3', 'quarterly', 'Báo cáo quý III', 4, 1, 6, 0, 7, 5),
    ('plan', 'Q4', 'quarterly', 'Báo cáo quý IV', 7, 1, 9, 0, 10, 5),
    ('plan', 'H1', 'semiannual', 'Báo cáo 6 tháng đầu', -2, 1, 3, 0, 4, 5),
    ('plan', 'Y', 'annual', 'Báo cáo', -2, 1, 9, 0, 10, 5),
    ('decree_09', 'Q1', 'quarterly', 'Báo cáo quý I', -1, 15, 2, 14, 2, 20),
    ('decree_09', 'Q2', 'quarterly', 'Báo cáo quý II', 2, 15, 5, 14, 5, 20),
    ('decree_09', 'Q3', 'quarterly', 'Báo cáo quý III', 5, 15, 8, 14, 8, 20),
    ('decree_09', 'Q4', 'quarterly', 'Báo cáo quý IV', 8, 15, 11, 14, 11, 20),
    ('decree_09', 'H1', 'semiannual', 'Báo cáo 6 tháng đầu', -1, 15, 5, 14, 5, 20),
    ('decree_09', 'Y', 'annual', 'Báo cáo', -1, 15, 11, 14, 11, 20);

-- Periods know the regime that made them, and whether the office has closed them.
ALTER TABLE report_periods
    ADD COLUMN regime text CONSTRAINT report_periods_regime_fkey REFERENCES report_regimes (code),
    ADD COLUMN closed_at timestamptz,
    ADD COLUMN closed_comment nfc_text CHECK (length(closed_comment) <= 5000);
-- A report is due after its data ends. NOT VALID: periods made before this rule keep their dates
-- until someone regenerates or edits them.
ALTER TABLE report_periods ADD CONSTRAINT report_periods_due_after_window CHECK (due_on > ends_on) NOT VALID;

-- One year's periods of a regime, as they would be generated (nothing is written).
CREATE FUNCTION ttdn_regime_periods(for_year integer, regime_code text)
RETURNS TABLE (id text, kind period_kind, title text, starts_on date, ends_on date, due_on date)
LANGUAGE sql STABLE AS $$
    SELECT for_year || '-' || t.suffix, t.kind, t.title || ' năm ' || for_year,
           (make_date(for_year, 1, 1) + make_interval(months => t.start_month_offset) + make_interval(days => t.start_day - 1))::date,
           CASE WHEN t.end_day = 0
                THEN (make_date(for_year, 1, 1) + make_interval(months => t.end_month_offset + 1) - interval '1 day')::date
                ELSE (make_date(for_year, 1, 1) + make_interval(months => t.end_month_offset) + make_interval(days => t.end_day - 1))::date
           END,
           (make_date(for_year, 1, 1) + make_interval(months => t.due_month_offset) + make_interval(days => t.due_day - 1))::date
    FROM report_regime_periods t WHERE t.regime = regime_code
    ORDER BY t.suffix
$$;

-- The default regime's periods of a year that do not exist yet, now created (the seed's entry point).
DROP FUNCTION ttdn_generate_periods(integer);
CREATE FUNCTION ttdn_generate_periods(for_year integer, regime_code text DEFAULT NULL) RETURNS SETOF report_periods LANGUAGE sql AS $$
    INSERT INTO report_periods (id, kind, year, title, starts_on, ends_on, due_on, regime)
    SELECT g.id, g.kind, for_year, g.title, g.starts_on, g.ends_on, g.due_on, r.code
    FROM report_regimes r, ttdn_regime_periods(for_year, r.code) g
    WHERE r.code = coalesce(regime_code, (SELECT code FROM report_regimes WHERE is_default))
    ON CONFLICT (id) DO NOTHING
    RETURNING *;
$$;

-- The obligation to report, as dates: never today's `active` flag.
ALTER TABLE units
    ADD COLUMN reporting_from date,
    ADD COLUMN reporting_to date,
    ADD CONSTRAINT units_reporting_range CHECK (reporting_to IS NULL OR (reporting_from IS NOT NULL AND reporting_to >= reporting_from));

UPDATE units SET reporting_from = coalesce(valid_from, DATE '2000-01-01')
WHERE kind IN ('district_office', 'high_school', 'continuing_education_center', 'affiliated_unit');

-- A new unit of a reporting kind reports from its first valid day unless it says otherwise.
CREATE FUNCTION units_default_reporting() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.reporting_from IS NULL AND NEW.reporting_to IS NULL
       AND NEW.kind IN ('district_office', 'high_school', 'continuing_education_center', 'affiliated_unit') THEN
        NEW.reporting_from := coalesce(NEW.valid_from, DATE '2000-01-01');
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER units_default_reporting BEFORE INSERT ON units FOR EACH ROW EXECUTE FUNCTION units_default_reporting();

-- The one definition of "expected to report", on the last day of a period's window.
DROP FUNCTION ttdn_expected_to_report(unit_kind, boolean, date, date, date);
CREATE FUNCTION ttdn_expected_to_report(reporting_from date, reporting_to date, valid_from date, valid_to date, on_day date) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN reporting_from <= on_day AND (reporting_to IS NULL OR reporting_to >= on_day)
        AND (valid_from IS NULL OR valid_from <= on_day) AND (valid_to IS NULL OR valid_to >= on_day);

-- Who was expected when a period was closed: its compliance is computed over these rows. No
-- foreign key to units: the snapshot keeps code and name, so it outlives a unit deleted later.
CREATE TABLE report_period_units (
    period_id    text NOT NULL REFERENCES report_periods (id) ON DELETE CASCADE,
    unit_id      uuid NOT NULL,
    code         text NOT NULL,
    name         text NOT NULL,
    kind         unit_kind NOT NULL,
    parent_id    uuid,
    parent_name  text,
    PRIMARY KEY (period_id, unit_id)
);

-- The units of a period: the snapshot when it is closed, otherwise the live definition.
CREATE FUNCTION ttdn_period_units(for_period text)
RETURNS TABLE (unit_id uuid, code text, name text, kind unit_kind, parent_id uuid, parent_name text)
LANGUAGE sql STABLE AS $$
    SELECT s.unit_id, s.code, s.name, s.kind, s.parent_id, s.parent_name
    FROM report_period_units s JOIN report_periods p ON p.id = s.period_id
    WHERE s.period_id = for_period AND p.closed_at IS NOT NULL
    UNION ALL
    SELECT u.id, u.code::text, u.name::text, u.kind, u.parent_id, parent.name::text
    FROM report_periods p
    JOIN units u ON ttdn_expected_to_report(u.reporting_from, u.reporting_to, u.valid_from, u.valid_to, p.ends_on)
    LEFT JOIN units parent ON parent.id = u.parent_id
    WHERE p.id = for_period AND p.closed_at IS NULL
$$;

-- When a report reached the office, and how.
CREATE TYPE report_channel AS ENUM ('system', 'e_office', 'paper', 'email');
ALTER TABLE reports
    ADD COLUMN received_on date,
    ADD COLUMN received_via report_channel,
    ADD COLUMN incoming_number nfc_text CHECK (length(incoming_number) <= 100),
    ADD COLUMN receipt_evidence nfc_text CHECK (length(receipt_evidence) <= 2000),
    ADD CONSTRAINT reports_receipt_complete CHECK ((received_on IS NULL) = (received_via IS NULL));
UPDATE reports SET received_on = (first_submitted_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date, received_via = 'system'
WHERE first_submitted_at IS NOT NULL;

-- Nothing of a closed period's reports changes: the Swift code answers 409 first, this guarantees it.
CREATE FUNCTION reports_period_open() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    period text;
BEGIN
    IF TG_TABLE_NAME = 'reports' THEN
        period := CASE WHEN TG_OP = 'DELETE' THEN OLD.period_id ELSE NEW.period_id END;
    ELSE
        SELECT r.period_id INTO period FROM reports r
        WHERE r.id = CASE WHEN TG_OP = 'DELETE' THEN OLD.report_id ELSE NEW.report_id END;
    END IF;
    IF EXISTS (SELECT 1 FROM report_periods p WHERE p.id = period AND p.closed_at IS NOT NULL) THEN
        RAISE EXCEPTION 'the report period is closed'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'reports_period_open';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
CREATE TRIGGER reports_period_open BEFORE INSERT OR UPDATE OR DELETE ON reports
    FOR EACH ROW EXECUTE FUNCTION reports_period_open();
CREATE TRIGGER report_values_period_open BEFORE INSERT OR UPDATE OR DELETE ON report_values
    FOR EACH ROW EXECUTE FUNCTION reports_period_open();
CREATE TRIGGER report_tasks_period_open BEFORE INSERT OR UPDATE OR DELETE ON report_tasks
    FOR EACH ROW EXECUTE FUNCTION reports_period_open();

-- Yearly targets per indicator, for a unit or for every unit of a kind.
CREATE TABLE report_targets (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    year            integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    indicator_code  text NOT NULL CONSTRAINT report_targets_indicator_fkey REFERENCES report_indicators (code),
    unit_id         uuid CONSTRAINT report_targets_unit_fkey REFERENCES units (id),
    unit_kind       unit_kind,
    target          numeric NOT NULL CHECK (target >= 0),
    note            nfc_text CHECK (length(note) <= 2000),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    version         integer NOT NULL DEFAULT 1,
    CONSTRAINT report_targets_one_subject CHECK ((unit_id IS NULL) <> (unit_kind IS NULL))
);
CREATE UNIQUE INDEX report_targets_unit_key ON report_targets (year, indicator_code, unit_id) WHERE unit_id IS NOT NULL;
CREATE UNIQUE INDEX report_targets_kind_key ON report_targets (year, indicator_code, unit_kind) WHERE unit_kind IS NOT NULL;
