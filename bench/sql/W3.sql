-- W3: GET /v1/media-entries?q=WORDS&limit=20: the statements ttdn runs for it, as captured from
-- PostgreSQL's log. pgbench -M prepared -n -D token=PUBLIC_ID -D "q=hoc bong" -f bench/sql/W3.sql
\set lim 21
-- MediaRoutes.list (Sources/TTDN/Media/MediaRoutes.swift) with MediaEntry.columns
SELECT m.id, m.title, m.url, m.url_normalized, m.outlet, m.origin::text AS origin, m.country, m.language, m.published_at,
m.captured_at, m.summary, m.summary_vi, m.topics::text[] AS topics, m.sentiment::text AS sentiment, m.misinformation,
m.response_status::text AS response_status, m.response_note, m.response_url, m.responded_at,
extract(epoch FROM m.responded_at - m.captured_at)::int8 AS response_time_seconds,
m.related_unit_id, m.recorded_by, m.created_at, m.updated_at, m.version FROM media_entries m WHERE true AND m.search @@ ttdn_search_query(:q)
ORDER BY m.published_at DESC, m.id DESC LIMIT :lim;
