-- W2: GET /v1/media-entries?sentiment=negative&limit=50: the statements ttdn runs for it, as
-- captured from PostgreSQL's log (the server asks for limit + 1 rows to know if there is more).
-- pgbench -M prepared -n -D token=PUBLIC_ID -D sentiment=negative -f bench/sql/W2.sql
\set lim 51
-- MediaRoutes.list (Sources/TTDN/Media/MediaRoutes.swift) with MediaEntry.columns
SELECT m.id, m.title, m.url, m.url_normalized, m.outlet, m.origin::text AS origin, m.country, m.language, m.published_at,
m.captured_at, m.summary, m.summary_vi, m.topics::text[] AS topics, m.sentiment::text AS sentiment, m.misinformation,
m.response_status::text AS response_status, m.response_note, m.response_url, m.responded_at,
extract(epoch FROM m.responded_at - m.captured_at)::int8 AS response_time_seconds,
m.related_unit_id, m.recorded_by, m.created_at, m.updated_at, m.version FROM media_entries m WHERE true AND m.sentiment = :sentiment::media_sentiment
ORDER BY m.published_at DESC, m.id DESC LIMIT :lim;
