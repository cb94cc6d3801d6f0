-- EXPLAIN (ANALYZE, BUFFERS) of the statements of W1, W2, W3, W5 and W6, prepared and executed six
-- times first so that the plan shown is the one a long-lived server connection uses (after five
-- custom plans PostgreSQL may switch to a generic one). bench/run.sh writes the output to its
-- results folder. psql -v q='hoc bong' -f bench/sql/explain.sql
\set ON_ERROR_STOP on
\if :{?q}
\else
\set q 'hoc bong'
\endif
SELECT id AS unit_id FROM units ORDER BY code LIMIT 1 OFFSET 500 \gset
PREPARE w1(uuid) AS
SELECT u.id, u.code, u.name, u.kind::text AS kind, u.parent_id, u.district, u.address, u.phone, u.email, u.website,
u.officer_name, u.officer_position, u.officer_phone, u.officer_email, u.active, u.valid_from, u.valid_to,
u.successor_id, u.created_at, u.updated_at, u.version FROM units u WHERE u.id = $1;
PREPARE w2(text, bigint) AS
SELECT m.id, m.title, m.url, m.url_normalized, m.outlet, m.origin::text AS origin, m.country, m.language, m.published_at,
m.captured_at, m.summary, m.summary_vi, m.topics::text[] AS topics, m.sentiment::text AS sentiment, m.misinformation,
m.response_status::text AS response_status, m.response_note, m.response_url, m.responded_at,
extract(epoch FROM m.responded_at - m.captured_at)::int8 AS response_time_seconds,
m.related_unit_id, m.recorded_by, m.created_at, m.updated_at, m.version FROM media_entries m WHERE true AND m.sentiment = $1::media_sentiment
ORDER BY m.published_at DESC, m.id DESC LIMIT $2;
PREPARE w3(text, bigint) AS
SELECT m.id, m.title, m.url, m.url_normalized, m.outlet, m.origin::text AS origin, m.country, m.language, m.published_at,
m.captured_at, m.summary, m.summary_vi, m.topics::text[] AS topics, m.sentiment::text AS sentiment, m.misinformation,
m.response_status::text AS response_status, m.response_note, m.response_url, m.responded_at,
extract(epoch FROM m.responded_at - m.captured_at)::int8 AS response_time_seconds,
m.related_unit_id, m.recorded_by, m.created_at, m.updated_at, m.version FROM media_entries m WHERE true AND m.search @@ ttdn_search_query($1)
ORDER BY m.published_at DESC, m.id DESC LIMIT $2;
PREPARE w5a(date, date) AS
SELECT to_char(g.r0, 'YYYY-MM') AS k0, g.n FROM (
    SELECT date_trunc('month', c.day::timestamp) AS r0, sum(c.n)::int8 AS n FROM (
        SELECT c.day, c.sentiment, c.origin, c.country, c.response_status, c.n FROM media_daily_counts c
        WHERE ((c.day >= $1 AND c.day < $1) OR (c.day >= $2 AND c.day < $2))
        UNION ALL
        SELECT c.month, c.sentiment, c.origin, c.country, c.response_status, c.n FROM media_monthly_counts c
        WHERE c.month >= $1 AND c.month < $2
    ) c
    GROUP BY r0 HAVING sum(c.n) > 0
) g ORDER BY k0;
PREPARE w5b(date, date) AS
SELECT to_char(t.month, 'YYYY-MM') AS period, t.n, t.p[1] AS median, t.p[2] AS p90 FROM (
    SELECT m.captured_month AS month, count(*)::int8 AS n,
           percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY m.response_seconds)::float8[] AS p
    FROM media_entries m
    WHERE m.misinformation AND m.responded_at IS NOT NULL
      AND m.published_at >= ($1::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh')
      AND m.published_at < ($2::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh')
    GROUP BY 1
) t ORDER BY t.month;
PREPARE w6(date, text) AS
SELECT u.unit_id AS id, u.code, u.name, u.kind::text AS kind, u.parent_id, u.parent_name,
       coalesce(r.status = 'accepted', false) AS accepted, r.received_on IS NOT NULL AS submitted, r.received_on <= $1 AS on_time
FROM ttdn_period_units($2) u
LEFT JOIN reports r ON r.unit_id = u.unit_id AND r.period_id = $2
ORDER BY u.name COLLATE "vi-x-icu", u.unit_id;
\o /dev/null
EXECUTE w1(:'unit_id');
EXECUTE w1(:'unit_id');
EXECUTE w1(:'unit_id');
EXECUTE w1(:'unit_id');
EXECUTE w1(:'unit_id');
EXECUTE w1(:'unit_id');
EXECUTE w2('negative', 51);
EXECUTE w2('negative', 51);
EXECUTE w2('negative', 51);
EXECUTE w2('negative', 51);
EXECUTE w2('negative', 51);
EXECUTE w2('negative', 51);
EXECUTE w3(:'q', 21);
EXECUTE w3(:'q', 21);
EXECUTE w3(:'q', 21);
EXECUTE w3(:'q', 21);
EXECUTE w3(:'q', 21);
EXECUTE w3(:'q', 21);
EXECUTE w5a('2023-01-01', '2024-01-01');
EXECUTE w5a('2023-01-01', '2024-01-01');
EXECUTE w5a('2023-01-01', '2024-01-01');
EXECUTE w5a('2023-01-01', '2024-01-01');
EXECUTE w5a('2023-01-01', '2024-01-01');
EXECUTE w5a('2023-01-01', '2024-01-01');
EXECUTE w5b('2023-01-01', '2024-01-01');
EXECUTE w5b('2023-01-01', '2024-01-01');
EXECUTE w5b('2023-01-01', '2024-01-01');
EXECUTE w5b('2023-01-01', '2024-01-01');
EXECUTE w5b('2023-01-01', '2024-01-01');
EXECUTE w5b('2023-01-01', '2024-01-01');
EXECUTE w6('2023-05-05', '2023-H1');
EXECUTE w6('2023-05-05', '2023-H1');
EXECUTE w6('2023-05-05', '2023-H1');
EXECUTE w6('2023-05-05', '2023-H1');
EXECUTE w6('2023-05-05', '2023-H1');
EXECUTE w6('2023-05-05', '2023-H1');
\o
\echo '== W1 GET /v1/units/{id}'
EXPLAIN (ANALYZE, BUFFERS) EXECUTE w1(:'unit_id');
\echo '== W2 GET /v1/media-entries?sentiment=negative&limit=50'
EXPLAIN (ANALYZE, BUFFERS) EXECUTE w2('negative', 51);
\echo '== W3 GET /v1/media-entries?q=...&limit=20'
EXPLAIN (ANALYZE, BUFFERS) EXECUTE w3(:'q', 21);
\echo '== W5 rollup'
EXPLAIN (ANALYZE, BUFFERS) EXECUTE w5a('2023-01-01', '2024-01-01');
\echo '== W5 response times'
EXPLAIN (ANALYZE, BUFFERS) EXECUTE w5b('2023-01-01', '2024-01-01');
\echo '== W6 compliance'
EXPLAIN (ANALYZE, BUFFERS) EXECUTE w6('2023-05-05', '2023-H1');
