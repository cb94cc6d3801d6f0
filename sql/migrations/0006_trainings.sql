-- Training sessions (tập huấn) and their participants. Capacity holds in PostgreSQL: a
-- registration locks its session row, and `registered_count`, kept by a trigger, can never
-- exceed `capacity` (CHECK), whatever number of server processes register at once.
CREATE TYPE training_format AS ENUM ('in_person', 'online', 'hybrid');
CREATE TYPE training_status AS ENUM ('planned', 'open', 'closed', 'held', 'cancelled');

CREATE TABLE training_sessions (
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    title                  nfc_text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    topic                  nfc_text CHECK (length(topic) <= 500),
    content_summary        nfc_text CHECK (length(content_summary) <= 10000),
    audience               nfc_text CHECK (length(audience) <= 1000),
    organiser_unit_id      uuid NOT NULL CONSTRAINT training_sessions_organiser_fkey REFERENCES units (id),
    plan_task_id           uuid CONSTRAINT training_sessions_task_fkey REFERENCES plan_tasks (id),
    format                 training_format NOT NULL,
    venue                  nfc_text CHECK (length(venue) <= 500),
    online_url             nfc_text CHECK (length(online_url) <= 2000),
    starts_at              timestamptz,
    ends_at                timestamptz,
    planned_year           integer CHECK (planned_year BETWEEN 2000 AND 2100),
    planned_quarter        integer CHECK (planned_quarter BETWEEN 1 AND 4),
    expected_min           integer CHECK (expected_min >= 0),
    expected_max           integer CHECK (expected_max >= 0),
    capacity               integer NOT NULL CHECK (capacity BETWEEN 1 AND 100000),
    registration_deadline  date,
    status                 training_status NOT NULL DEFAULT 'planned',
    registered_count       integer NOT NULL DEFAULT 0,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    version                integer NOT NULL DEFAULT 1,
    search                 tsvector GENERATED ALWAYS AS (
                               to_tsvector('simple', ttdn_search_text(title || ' ' || coalesce(topic, '') || ' ' || coalesce(audience, '')))
                           ) STORED,
    CONSTRAINT training_sessions_capacity_held CHECK (registered_count BETWEEN 0 AND capacity),
    CONSTRAINT training_sessions_times CHECK (ends_at IS NULL OR starts_at IS NULL OR ends_at > starts_at),
    CONSTRAINT training_sessions_expected CHECK (expected_min IS NULL OR expected_max IS NULL OR expected_min <= expected_max),
    CONSTRAINT training_sessions_quarter_needs_year CHECK (planned_quarter IS NULL OR planned_year IS NOT NULL)
);

CREATE INDEX training_sessions_order ON training_sessions (starts_at, id);
CREATE INDEX training_sessions_search ON training_sessions USING gin (search);

CREATE TYPE participant_state AS ENUM ('registered', 'waitlisted', 'cancelled');
CREATE TYPE attendance_mark AS ENUM ('present', 'late', 'excused', 'absent');

CREATE TABLE training_participants (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- Order of arrival: the waitlist is served in this order.
    seq            bigserial NOT NULL,
    session_id     uuid NOT NULL CONSTRAINT training_participants_session_fkey REFERENCES training_sessions (id),
    full_name      nfc_text NOT NULL CHECK (length(full_name) BETWEEN 1 AND 200),
    unit_id        uuid NOT NULL CONSTRAINT training_participants_unit_fkey REFERENCES units (id),
    position       nfc_text CHECK (length(position) <= 200),
    email          nfc_text NOT NULL CHECK (email = lower(email) AND length(email) <= 254),
    phone          nfc_text CHECK (length(phone) <= 50),
    state          participant_state NOT NULL,
    attendance     attendance_mark,
    registered_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    version        integer NOT NULL DEFAULT 1,
    CONSTRAINT training_participants_attendance_registered CHECK (attendance IS NULL OR state = 'registered')
);

-- One live registration per person (email) and session; a cancelled one may register again.
CREATE UNIQUE INDEX training_participants_one_per_email ON training_participants (session_id, email) WHERE state <> 'cancelled';
CREATE INDEX training_participants_queue ON training_participants (session_id, state, seq);
CREATE INDEX training_participants_unit ON training_participants (unit_id);

CREATE FUNCTION training_participants_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.state = 'registered' THEN
        UPDATE training_sessions SET registered_count = registered_count - 1 WHERE id = OLD.session_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.state = 'registered' THEN
        UPDATE training_sessions SET registered_count = registered_count + 1 WHERE id = NEW.session_id;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER training_participants_counted AFTER INSERT OR UPDATE OF state OR DELETE ON training_participants
    FOR EACH ROW EXECUTE FUNCTION training_participants_count();
