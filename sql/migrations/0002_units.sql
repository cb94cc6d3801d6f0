CREATE TYPE unit_kind AS ENUM (
    'department', 'department_office', 'district_office', 'high_school',
    'continuing_education_center', 'affiliated_unit', 'external'
);

CREATE TABLE units (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    code             nfc_text NOT NULL CONSTRAINT units_code_key UNIQUE
                     CONSTRAINT units_code_format CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    name             nfc_text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    kind             unit_kind NOT NULL,
    parent_id        uuid CONSTRAINT units_parent_fkey REFERENCES units (id),
    district         nfc_text CHECK (length(district) <= 100),
    address          nfc_text CHECK (length(address) <= 500),
    phone            nfc_text CHECK (length(phone) <= 50),
    email            nfc_text CHECK (length(email) <= 254),
    website          nfc_text CHECK (length(website) <= 2000),
    officer_name     nfc_text CHECK (length(officer_name) <= 200),
    officer_position nfc_text CHECK (length(officer_position) <= 200),
    officer_phone    nfc_text CHECK (length(officer_phone) <= 50),
    officer_email    nfc_text CHECK (length(officer_email) <= 254),
    active           boolean NOT NULL DEFAULT true,
    valid_from       date,
    valid_to         date,
    successor_id     uuid CONSTRAINT units_successor_fkey REFERENCES units (id),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    version          integer NOT NULL DEFAULT 1,
    search           tsvector GENERATED ALWAYS AS (
                         to_tsvector('simple', ttdn_search_text(code || ' ' || name || ' ' || coalesce(district, '')))
                     ) STORED,
    CONSTRAINT units_not_own_parent CHECK (parent_id <> id),
    CONSTRAINT units_valid_range CHECK (valid_to IS NULL OR valid_from IS NULL OR valid_to >= valid_from),
    CONSTRAINT units_successor_needs_end CHECK (successor_id IS NULL OR valid_to IS NOT NULL),
    CONSTRAINT units_not_own_successor CHECK (successor_id <> id)
);

CREATE INDEX units_name_order ON units (name COLLATE "vi-x-icu", id);
CREATE INDEX units_parent ON units (parent_id);
CREATE INDEX units_successor ON units (successor_id);
CREATE INDEX units_search ON units USING gin (search);

-- No unit may become its own ancestor.
CREATE FUNCTION units_check_cycle() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.parent_id IS NOT NULL AND EXISTS (
        WITH RECURSIVE ancestors(id) AS (
            SELECT NEW.parent_id
            UNION
            SELECT u.parent_id FROM units u JOIN ancestors a ON u.id = a.id WHERE u.parent_id IS NOT NULL
        )
        SELECT 1 FROM ancestors WHERE id = NEW.id
    ) THEN
        RAISE EXCEPTION 'a unit cannot be its own ancestor'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'units_no_cycle';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER units_no_cycle BEFORE INSERT OR UPDATE OF parent_id ON units
    FOR EACH ROW EXECUTE FUNCTION units_check_cycle();

-- A successor takes over the day after its predecessor ends, so it must be valid then.
CREATE FUNCTION units_check_successor() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.successor_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM units s
        WHERE s.id = NEW.successor_id
          AND (s.valid_from IS NULL OR s.valid_from <= NEW.valid_to + 1)
          AND (s.valid_to IS NULL OR s.valid_to >= NEW.valid_to + 1)
    ) THEN
        RAISE EXCEPTION 'the successor must be valid on the day after the unit ends'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'units_successor_valid';
    END IF;
    RETURN NEW;
END $$;

CREATE CONSTRAINT TRIGGER units_successor_valid AFTER INSERT OR UPDATE ON units
    DEFERRABLE INITIALLY IMMEDIATE
    FOR EACH ROW EXECUTE FUNCTION units_check_successor();
