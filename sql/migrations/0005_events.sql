-- The calendar units plan their communication around: commemorations, campaigns, festivals.
CREATE TYPE event_kind AS ENUM ('commemoration', 'campaign', 'festival', 'conference');

CREATE TABLE events (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    code               nfc_text CONSTRAINT events_code_key UNIQUE CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    title              nfc_text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    kind               event_kind NOT NULL,
    -- yearly: on month/day each year (through end_month/end_day for a range); once: starts_on..ends_on.
    recurrence         text NOT NULL CHECK (recurrence IN ('yearly', 'once')),
    month              integer CHECK (month BETWEEN 1 AND 12),
    day                integer CHECK (day BETWEEN 1 AND 31),
    end_month          integer CHECK (end_month BETWEEN 1 AND 12),
    end_day            integer CHECK (end_day BETWEEN 1 AND 31),
    starts_on          date,
    ends_on            date,
    -- The year of the founding event, so the anniversary number of any year can be computed.
    founding_year      integer CHECK (founding_year BETWEEN 1 AND 9999),
    description        nfc_text CHECK (length(description) <= 5000),
    organiser_unit_id  uuid CONSTRAINT events_organiser_fkey REFERENCES units (id),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    version            integer NOT NULL DEFAULT 1,
    CONSTRAINT events_schedule CHECK (
        (recurrence = 'yearly' AND month IS NOT NULL AND day IS NOT NULL AND starts_on IS NULL AND ends_on IS NULL
         AND (end_month IS NULL) = (end_day IS NULL)
         AND day <= extract(day FROM make_date(2000, month, 1) + interval '1 month' - interval '1 day')
         AND (end_month IS NULL OR end_day <= extract(day FROM make_date(2000, end_month, 1) + interval '1 month' - interval '1 day')))
        OR (recurrence = 'once' AND starts_on IS NOT NULL AND month IS NULL AND day IS NULL AND end_month IS NULL
            AND end_day IS NULL AND (ends_on IS NULL OR ends_on >= starts_on)))
);

CREATE INDEX events_order ON events (title COLLATE "vi-x-icu", id);

CREATE TABLE event_tasks (
    event_id uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    task_id  uuid NOT NULL CONSTRAINT event_tasks_task_fkey REFERENCES plan_tasks (id),
    PRIMARY KEY (event_id, task_id)
);
