-- What units do to carry out the plan (II.2, III.2), the files that evidence it, the dialogue
-- between a unit and the Department office, and the difficulties units raise to the Board (V.3).

-- ISO 3166-1 alpha-2 shape; the list of real codes is checked by the API, the shape here.
CREATE FUNCTION ttdn_country_codes(codes text[]) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN (SELECT coalesce(bool_and(c ~ '^[A-Z]{2}$'), true) FROM unnest(codes) AS c)
        AND cardinality(codes) = (SELECT count(DISTINCT c) FROM unnest(codes) AS c);

CREATE TYPE activity_kind AS ENUM (
    'website_article', 'website_section', 'event_held', 'cultural_sport', 'extracurricular', 'study_tour',
    'conference', 'international_cooperation', 'press_information', 'exemplary_person', 'other');

CREATE TABLE activities (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    unit_id        uuid NOT NULL CONSTRAINT activities_unit_fkey REFERENCES units (id),
    kind           activity_kind NOT NULL,
    title          nfc_text NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
    description    nfc_text CHECK (length(description) <= 20000),
    starts_on      date NOT NULL,
    ends_on        date,
    -- The content theme (a plan task of category content_theme, II.2.x) it serves.
    theme_task_id  uuid CONSTRAINT activities_theme_fkey REFERENCES plan_tasks (id),
    countries      text[] NOT NULL DEFAULT '{}' CONSTRAINT activities_countries CHECK (ttdn_country_codes(countries)),
    -- How many items this record stands for: articles published, people featured, press releases.
    item_count     integer NOT NULL DEFAULT 1 CONSTRAINT activities_item_count CHECK (item_count BETWEEN 1 AND 100000),
    participants   integer CONSTRAINT activities_participants CHECK (participants BETWEEN 0 AND 10000000),
    audience       nfc_text CHECK (length(audience) <= 500),
    links          nfc_text[] NOT NULL DEFAULT '{}' CHECK (cardinality(links) <= 20),
    recorded_by    uuid,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    version        integer NOT NULL DEFAULT 1,
    search         tsvector GENERATED ALWAYS AS (
                       to_tsvector('simple', ttdn_search_text(title || ' ' || coalesce(description, '') || ' ' || coalesce(audience, '')))
                   ) STORED,
    CONSTRAINT activities_dates CHECK (ends_on IS NULL OR ends_on >= starts_on)
);

CREATE INDEX activities_unit ON activities (unit_id, starts_on);
CREATE INDEX activities_starts ON activities (starts_on, id);
CREATE INDEX activities_search ON activities USING gin (search);
CREATE INDEX activities_countries_gin ON activities USING gin (countries);

CREATE TABLE activity_tasks (
    activity_id uuid NOT NULL CONSTRAINT activity_tasks_activity_fkey REFERENCES activities (id) ON DELETE CASCADE,
    task_id     uuid NOT NULL CONSTRAINT activity_tasks_task_fkey REFERENCES plan_tasks (id),
    PRIMARY KEY (activity_id, task_id)
);
CREATE INDEX activity_tasks_task ON activity_tasks (task_id);

CREATE FUNCTION activities_check_theme() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.theme_task_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM plan_tasks WHERE id = NEW.theme_task_id AND category = 'content_theme') THEN
        RAISE EXCEPTION 'the theme of an activity is a content-theme task'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'activities_theme_category';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER activities_check_theme BEFORE INSERT OR UPDATE OF theme_task_id ON activities
    FOR EACH ROW EXECUTE FUNCTION activities_check_theme();

-- What each activity contributes to the report indicators of section IV: the one definition
-- that the reports' prefill and the activity aggregates both read. International means
-- cooperation, or any country other than Viet Nam involved.
CREATE VIEW activity_facts AS
SELECT a.id, a.unit_id, a.kind, a.starts_on, a.theme_task_id, a.item_count, a.participants,
       (a.kind = 'international_cooperation' OR EXISTS (SELECT 1 FROM unnest(a.countries) c WHERE c <> 'VN')) AS international,
       'LA' = ANY (a.countries) AS with_laos,
       'KH' = ANY (a.countries) AS with_cambodia,
       CASE a.kind
           WHEN 'website_article' THEN 'articles_published'
           WHEN 'exemplary_person' THEN 'exemplary_people_featured'
           WHEN 'event_held' THEN 'events_held'
           WHEN 'cultural_sport' THEN 'events_held'
           WHEN 'extracurricular' THEN 'events_held'
           WHEN 'press_information' THEN 'press_information_provided'
       END AS indicator_code
FROM activities a;

-- Indicator values of one unit's activities that started in a window (inclusive): articles,
-- people and press releases count their items; events and cooperation count activities. A unit
-- that recorded no activity in the window gets no values (nothing is known, not zero).
CREATE FUNCTION ttdn_activity_indicators(unit uuid, from_day date, to_day date)
    RETURNS TABLE (code text, value bigint) LANGUAGE sql STABLE AS $$
    WITH f AS (SELECT * FROM activity_facts WHERE unit_id = unit AND starts_on BETWEEN from_day AND to_day),
    v(code, value) AS (
        SELECT 'articles_published', coalesce(sum(item_count), 0) FROM f WHERE indicator_code = 'articles_published'
        UNION ALL SELECT 'exemplary_people_featured', coalesce(sum(item_count), 0) FROM f WHERE indicator_code = 'exemplary_people_featured'
        UNION ALL SELECT 'press_information_provided', coalesce(sum(item_count), 0) FROM f WHERE indicator_code = 'press_information_provided'
        UNION ALL SELECT 'events_held', count(*) FROM f WHERE indicator_code = 'events_held'
        UNION ALL SELECT 'international_cooperation_activities', count(*) FROM f WHERE international
        UNION ALL SELECT 'international_cooperation_with_laos', count(*) FROM f WHERE international AND with_laos
        UNION ALL SELECT 'international_cooperation_with_cambodia', count(*) FROM f WHERE international AND with_cambodia
    )
    SELECT code, value FROM v WHERE EXISTS (SELECT 1 FROM f)
$$;

-- Evidence files, stored in PostgreSQL so every server process sees them and a backup holds
-- them. A file hangs on exactly one parent and goes with it.
CREATE TABLE attachments (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    report_id      uuid CONSTRAINT attachments_report_fkey REFERENCES reports (id) ON DELETE CASCADE,
    activity_id    uuid CONSTRAINT attachments_activity_fkey REFERENCES activities (id) ON DELETE CASCADE,
    assignment_id  uuid CONSTRAINT attachments_assignment_fkey REFERENCES plan_task_assignments (id) ON DELETE CASCADE,
    media_entry_id uuid CONSTRAINT attachments_media_entry_fkey REFERENCES media_entries (id) ON DELETE CASCADE,
    unit_id        uuid,
    filename       nfc_text NOT NULL CHECK (length(filename) BETWEEN 1 AND 255 AND filename !~ '[/\\\x01-\x1f]'),
    content_type   text NOT NULL CHECK (content_type IN (
                       'application/pdf', 'image/jpeg', 'image/png',
                       'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
                       'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
                       'application/vnd.oasis.opendocument.text')),
    size_bytes     bigint NOT NULL CHECK (size_bytes > 0),
    sha256         text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    uploaded_by    uuid,
    created_at     timestamptz NOT NULL DEFAULT now(),
    version        integer NOT NULL DEFAULT 1,
    CONSTRAINT attachments_one_parent CHECK (num_nonnulls(report_id, activity_id, assignment_id, media_entry_id) = 1)
);
CREATE INDEX attachments_report ON attachments (report_id, created_at) WHERE report_id IS NOT NULL;
CREATE INDEX attachments_activity ON attachments (activity_id, created_at) WHERE activity_id IS NOT NULL;
CREATE INDEX attachments_assignment ON attachments (assignment_id, created_at) WHERE assignment_id IS NOT NULL;
CREATE INDEX attachments_media_entry ON attachments (media_entry_id, created_at) WHERE media_entry_id IS NOT NULL;

-- The bytes, in chunks so a download streams without holding the whole file in memory.
CREATE TABLE attachment_chunks (
    attachment_id uuid NOT NULL CONSTRAINT attachment_chunks_attachment_fkey REFERENCES attachments (id) ON DELETE CASCADE,
    position      integer NOT NULL CHECK (position >= 0),
    data          bytea NOT NULL CHECK (length(data) > 0),
    PRIMARY KEY (attachment_id, position)
);

-- Threads between a unit and the Department office on a report, an assignment or an activity.
CREATE TABLE comments (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    report_id      uuid CONSTRAINT comments_report_fkey REFERENCES reports (id) ON DELETE CASCADE,
    activity_id    uuid CONSTRAINT comments_activity_fkey REFERENCES activities (id) ON DELETE CASCADE,
    assignment_id  uuid CONSTRAINT comments_assignment_fkey REFERENCES plan_task_assignments (id) ON DELETE CASCADE,
    unit_id        uuid,
    author_token_id uuid NOT NULL,
    author_name    nfc_text NOT NULL,
    author_role    token_role NOT NULL,
    author_unit_id uuid,
    body           nfc_text CHECK (length(body) BETWEEN 1 AND 10000),
    created_at     timestamptz NOT NULL DEFAULT now(),
    edited_at      timestamptz,
    deleted_at     timestamptz,
    version        integer NOT NULL DEFAULT 1,
    CONSTRAINT comments_one_parent CHECK (num_nonnulls(report_id, activity_id, assignment_id) = 1),
    -- A deleted comment keeps its place in the thread, not its text.
    CONSTRAINT comments_body CHECK ((deleted_at IS NULL) = (body IS NOT NULL))
);
CREATE INDEX comments_report ON comments (report_id, created_at, id) WHERE report_id IS NOT NULL;
CREATE INDEX comments_activity ON comments (activity_id, created_at, id) WHERE activity_id IS NOT NULL;
CREATE INDEX comments_assignment ON comments (assignment_id, created_at, id) WHERE assignment_id IS NOT NULL;

-- Difficulties a unit raises to the Board of Directors for direction (V.3).
CREATE TYPE difficulty_status AS ENUM ('open', 'answered', 'closed');

CREATE TABLE difficulties (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    unit_id        uuid NOT NULL CONSTRAINT difficulties_unit_fkey REFERENCES units (id),
    title          nfc_text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    description    nfc_text NOT NULL CHECK (length(description) BETWEEN 1 AND 20000),
    task_id        uuid CONSTRAINT difficulties_task_fkey REFERENCES plan_tasks (id),
    report_id      uuid CONSTRAINT difficulties_report_fkey REFERENCES reports (id) ON DELETE SET NULL,
    status         difficulty_status NOT NULL DEFAULT 'open',
    raised_by      uuid,
    answer         nfc_text CHECK (length(answer) BETWEEN 1 AND 20000),
    answered_by    uuid,
    answered_at    timestamptz,
    closed_at      timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    version        integer NOT NULL DEFAULT 1,
    CONSTRAINT difficulties_answer CHECK (status <> 'answered' OR (answer IS NOT NULL AND answered_at IS NOT NULL)),
    CONSTRAINT difficulties_closed CHECK ((status = 'closed') = (closed_at IS NOT NULL))
);
CREATE INDEX difficulties_unit ON difficulties (unit_id, status);
CREATE INDEX difficulties_status ON difficulties (status, created_at);

-- A unit and every unit below it (successors are not below: they are other units).
CREATE FUNCTION ttdn_unit_subtree(root uuid) RETURNS SETOF uuid LANGUAGE sql STABLE AS $$
    WITH RECURSIVE below(id, depth) AS (
        SELECT id, 0 FROM units WHERE id = root
        UNION
        SELECT u.id, b.depth + 1 FROM units u JOIN below b ON u.parent_id = b.id WHERE b.depth < 50
    )
    SELECT id FROM below
$$;
