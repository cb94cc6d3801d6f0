-- Indexes that let /v1/aggregates/media read only the index, at any size.

-- The rollup by days: every column a rollup dimension can group by, so no heap page is read.
CREATE INDEX media_daily_counts_by_day ON media_daily_counts (day)
    INCLUDE (sentiment, origin, country, response_status, misinformation, n);

-- Response times to misinformation: the few entries that count, with the two times they need.
CREATE INDEX media_entries_response_times ON media_entries (published_at)
    INCLUDE (captured_at, responded_at)
    WHERE misinformation AND responded_at IS NOT NULL;
