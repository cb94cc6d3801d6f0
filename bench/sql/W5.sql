-- W5: GET /v1/aggregates/media?group_by=month&from=2023-01-01&to=2024-01-01: the statements ttdn
-- runs for it, as captured from PostgreSQL's log.
-- pgbench -M prepared -n -D token=PUBLIC_ID -D from=2023-01-01 -D to=2024-01-01 -f bench/sql/W5.sql
-- MediaAggregateRoutes.aggregate (Sources/TTDN/Media/MediaAggregates.swift): counts from the
-- rollups (whole months from media_monthly_counts, the days of partial months from the daily one)
SELECT to_char(g.r0, 'YYYY-MM') AS k0, g.n FROM (
    SELECT date_trunc('month', c.day::timestamp) AS r0, sum(c.n)::int8 AS n FROM (
        SELECT c.day, c.sentiment, c.origin, c.country, c.response_status, c.n FROM media_daily_counts c
        WHERE ((c.day >= :from::date AND c.day < :from::date) OR (c.day >= :to::date AND c.day < :to::date))
        UNION ALL
        SELECT c.month, c.sentiment, c.origin, c.country, c.response_status, c.n FROM media_monthly_counts c
        WHERE c.month >= :from::date AND c.month < :to::date
    ) c
    GROUP BY r0 HAVING sum(c.n) > 0
) g ORDER BY k0;
-- ... and response times to misinformation, from the partial index of responded entries
SELECT to_char(t.month, 'YYYY-MM') AS period, t.n, t.p[1] AS median, t.p[2] AS p90 FROM (
    SELECT m.captured_month AS month, count(*)::int8 AS n,
           percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY m.response_seconds)::float8[] AS p
    FROM media_entries m
    WHERE m.misinformation AND m.responded_at IS NOT NULL
      AND m.published_at >= (:from::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh')
      AND m.published_at < (:to::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh')
    GROUP BY 1
) t ORDER BY t.month;
