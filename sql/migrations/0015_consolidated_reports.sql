-- The Department's consolidated report to the City People's Committee (Section IV): one per
-- period and revision, drafted from what ttdn holds, approved, then sent and frozen.
CREATE TYPE consolidated_status AS ENUM ('draft', 'approved', 'sent');

CREATE TABLE consolidated_reports (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    period_id      text NOT NULL CONSTRAINT consolidated_reports_period_fkey REFERENCES report_periods (id),
    revision       integer NOT NULL DEFAULT 1 CHECK (revision >= 1),
    -- The sent revision this one corrects.
    revises_id     uuid CONSTRAINT consolidated_reports_revises_fkey REFERENCES consolidated_reports (id),
    status         consolidated_status NOT NULL DEFAULT 'draft',
    title          nfc_text NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
    -- Số và ký hiệu, e.g. 123/BC-SGDĐT.
    number         nfc_text CHECK (length(number) BETWEEN 1 AND 100),
    issuing_body   nfc_text NOT NULL CHECK (length(issuing_body) BETWEEN 1 AND 300),
    parent_body    nfc_text CHECK (length(parent_body) <= 300),
    place          nfc_text NOT NULL DEFAULT 'Hải Phòng' CHECK (length(place) BETWEEN 1 AND 100),
    signer         nfc_text CHECK (length(signer) <= 200),
    signer_title   nfc_text CHECK (length(signer_title) <= 200),
    recipients     nfc_text[] NOT NULL DEFAULT '{}',
    sent_on        date,
    -- What ttdn held when the figures were computed: the figures, the unit reports they came
    -- from (id and version), and the narrative sections the office edits.
    figures        jsonb NOT NULL CHECK (jsonb_typeof(figures) = 'object'),
    sources        jsonb NOT NULL CHECK (jsonb_typeof(sources) = 'array'),
    sections       jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(sections) = 'array'),
    computed_at    timestamptz NOT NULL DEFAULT now(),
    approved_at    timestamptz,
    sent_at        timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    version        integer NOT NULL DEFAULT 1,
    CONSTRAINT consolidated_reports_revision_key UNIQUE (period_id, revision),
    CONSTRAINT consolidated_reports_sent_complete CHECK (
        status <> 'sent' OR (number IS NOT NULL AND signer IS NOT NULL AND sent_on IS NOT NULL AND sent_at IS NOT NULL
                             AND cardinality(recipients) > 0)),
    CONSTRAINT consolidated_reports_revision_revises CHECK ((revision = 1) = (revises_id IS NULL))
);

-- A number and symbol is issued once.
CREATE UNIQUE INDEX consolidated_reports_number_key ON consolidated_reports (number) WHERE number IS NOT NULL;
CREATE INDEX consolidated_reports_order ON consolidated_reports (period_id, revision);

-- Once sent, a report is a record of what the Department said: it is never changed or deleted;
-- a correction is a new revision.
CREATE FUNCTION consolidated_reports_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'sent' THEN
        RAISE EXCEPTION 'a sent consolidated report is frozen'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'consolidated_reports_frozen';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;

CREATE TRIGGER consolidated_reports_frozen BEFORE UPDATE OR DELETE ON consolidated_reports
    FOR EACH ROW EXECUTE FUNCTION consolidated_reports_frozen();
