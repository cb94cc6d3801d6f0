-- W5: GET /v1/aggregates/media?group_by=month&from=2023-01-01&to=2024-01-01: the statements ttdn
-- runs for it, as captured from PostgreSQL's log.
-- pgbench -M prepared -n -D token=PUBLIC_ID -D from=2023-01-01 -D to=2024-01-01 -f bench/sql/W5.sql
-- Tokens.authenticate (Sources/TTDN/Access/Tokens.swift), first on every /v1 request, on a lease
-- of its own. (Its UPDATE of last_used_at runs once a minute per token: left out.)
SELECT id, encode(secret_hash, 'hex') AS secret_hash, role::text AS role, unit_id, name,
       (expires_on IS NOT NULL AND expires_on < ttdn_today()) AS expired,
       revoked_at IS NOT NULL AS revoked,
       (last_used_at IS NULL OR last_used_at < now() - interval '1 minute') AS stale
FROM api_tokens WHERE public_id = :token;
-- MediaAggregateRoutes.aggregate (Sources/TTDN/Media/MediaAggregates.swift): counts from the rollup
SELECT to_char(c.day, 'YYYY-MM') AS k0, sum(c.n)::int8 AS n FROM media_daily_counts c WHERE c.day >= :from AND c.day < :to
GROUP BY k0 HAVING sum(c.n) > 0 ORDER BY k0;
-- ... and response times to misinformation, from the entries
SELECT to_char(m.captured_at AT TIME ZONE 'Asia/Ho_Chi_Minh', 'YYYY-MM') AS period, count(*)::int8 AS n,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM m.responded_at - m.captured_at))::float8 AS median,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM m.responded_at - m.captured_at))::float8 AS p90
FROM media_entries m
WHERE m.misinformation AND m.responded_at IS NOT NULL
  AND m.published_at >= (:from::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh')
  AND m.published_at < (:to::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh')
GROUP BY 1 ORDER BY 1;
