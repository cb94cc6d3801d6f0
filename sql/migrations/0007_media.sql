-- Media monitoring (theo dõi dư luận báo chí): press items about the city and its schools,
-- and the response to misinformation.
CREATE TYPE media_origin AS ENUM ('domestic', 'foreign');
CREATE TYPE media_sentiment AS ENUM ('positive', 'neutral', 'negative');
CREATE TYPE media_response_status AS ENUM ('none', 'monitoring', 'verifying', 'response_drafted', 'responded', 'closed');

CREATE TABLE media_entries (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    title            nfc_text NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
    url              nfc_text NOT NULL CHECK (length(url) <= 2000),
    -- The URL as compared for duplicates: see MediaURL.normalize.
    url_normalized   text NOT NULL CONSTRAINT media_entries_url_key UNIQUE,
    outlet           nfc_text NOT NULL CHECK (length(outlet) BETWEEN 1 AND 200),
    origin           media_origin NOT NULL,
    country          text CHECK (country ~ '^[A-Z]{2}$'),
    language         text CHECK (language ~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$'),
    published_at     timestamptz NOT NULL,
    captured_at      timestamptz NOT NULL DEFAULT now(),
    summary          nfc_text CHECK (length(summary) <= 10000),
    summary_vi       nfc_text CHECK (length(summary_vi) <= 10000),
    topics           nfc_text[] NOT NULL DEFAULT '{}',
    sentiment        media_sentiment NOT NULL DEFAULT 'neutral',
    misinformation   boolean NOT NULL DEFAULT false,
    response_status  media_response_status NOT NULL DEFAULT 'none',
    response_note    nfc_text CHECK (length(response_note) <= 10000),
    response_url     nfc_text CHECK (length(response_url) <= 2000),
    responded_at     timestamptz,
    related_unit_id  uuid CONSTRAINT media_entries_unit_fkey REFERENCES units (id),
    recorded_by      uuid,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    version          integer NOT NULL DEFAULT 1,
    search           tsvector GENERATED ALWAYS AS (
                         to_tsvector('simple', ttdn_search_text(title || ' ' || coalesce(summary, '') || ' ' || coalesce(summary_vi, '')))
                     ) STORED,
    CONSTRAINT media_entries_responded_at CHECK (responded_at IS NULL OR response_status IN ('responded', 'closed')),
    CONSTRAINT media_entries_foreign_country CHECK (origin = 'domestic' OR country IS NULL OR country <> 'VN')
);

-- Newest first, with and without the common filters; search through the GIN index.
CREATE INDEX media_entries_published ON media_entries (published_at DESC, id DESC);
CREATE INDEX media_entries_sentiment ON media_entries (sentiment, published_at DESC, id DESC);
CREATE INDEX media_entries_origin ON media_entries (origin, published_at DESC, id DESC);
CREATE INDEX media_entries_response ON media_entries (response_status, published_at DESC, id DESC);
CREATE INDEX media_entries_unit ON media_entries (related_unit_id, published_at DESC, id DESC);
CREATE INDEX media_entries_misinformation ON media_entries (published_at DESC, id DESC) WHERE misinformation;
CREATE INDEX media_entries_outlet ON media_entries (ttdn_fold(outlet), published_at DESC, id DESC);
CREATE INDEX media_entries_topics ON media_entries USING gin (topics);
CREATE INDEX media_entries_search ON media_entries USING gin (search);

-- Counts per Hai Phong day and combination of the grouped dimensions, kept in the same
-- transaction as every write, so aggregates never scan the entries and never drift.
CREATE TABLE media_daily_counts (
    day              date NOT NULL,
    sentiment        media_sentiment NOT NULL,
    origin           media_origin NOT NULL,
    country          text NOT NULL,          -- '' when unknown
    response_status  media_response_status NOT NULL,
    misinformation   boolean NOT NULL,
    n                bigint NOT NULL CHECK (n >= 0),
    PRIMARY KEY (day, sentiment, origin, country, response_status, misinformation)
);

CREATE FUNCTION media_daily_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE media_daily_counts SET n = n - 1
        WHERE day = (OLD.published_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date AND sentiment = OLD.sentiment
          AND origin = OLD.origin AND country = coalesce(OLD.country, '') AND response_status = OLD.response_status
          AND misinformation = OLD.misinformation;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO media_daily_counts AS c (day, sentiment, origin, country, response_status, misinformation, n)
        VALUES ((NEW.published_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date, NEW.sentiment, NEW.origin, coalesce(NEW.country, ''),
                NEW.response_status, NEW.misinformation, 1)
        ON CONFLICT (day, sentiment, origin, country, response_status, misinformation) DO UPDATE SET n = c.n + 1;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER media_entries_counted
    AFTER INSERT OR DELETE OR UPDATE OF published_at, sentiment, origin, country, response_status, misinformation
    ON media_entries FOR EACH ROW EXECUTE FUNCTION media_daily_counts_apply();
