-- Generator, part 3 of 3: the rollups and the indexes as the migrations made them, then the report periods and reports; VACUUM (ANALYZE). Run once, after every 2_media.sql.
\set ON_ERROR_STOP on
\ir functions.sql

BEGIN;

-- The rollup, as the trigger would have kept it (see media_daily_counts_apply).
INSERT INTO media_daily_counts AS c (day, sentiment, origin, country, response_status, misinformation, n)
SELECT (published_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date, sentiment, origin, coalesce(country, ''), response_status, misinformation, count(*)
FROM media_entries
GROUP BY 1, 2, 3, 4, 5, 6
ON CONFLICT (day, sentiment, origin, country, response_status, misinformation) DO UPDATE SET n = EXCLUDED.n;

INSERT INTO media_monthly_counts AS c (month, sentiment, origin, country, response_status, misinformation, n)
SELECT date_trunc('month', day::timestamp)::date, sentiment, origin, country, response_status, misinformation, sum(n)
FROM media_daily_counts
GROUP BY 1, 2, 3, 4, 5, 6
ON CONFLICT ON CONSTRAINT media_monthly_counts_pkey DO UPDATE SET n = EXCLUDED.n;

ALTER TABLE media_entries ENABLE TRIGGER media_entries_counted;

DO $$
DECLARE definition text;
BEGIN
    FOREACH definition IN ARRAY (SELECT media_indexes FROM bench_load_state) LOOP
        EXECUTE definition;
    END LOOP;
END $$;

-- Proof that the load computed the search documents ttdn_search_text computes.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM (SELECT * FROM media_entries ORDER BY id LIMIT 2000) m
               WHERE m.search IS DISTINCT FROM to_tsvector('simple', ttdn_search_text(m.title || ' ' || coalesce(m.summary, '') || ' ' || coalesce(m.summary_vi, ''))))
       OR EXISTS (SELECT 1 FROM units u
                  WHERE u.search IS DISTINCT FROM to_tsvector('simple', ttdn_search_text(u.code || ' ' || u.name || ' ' || coalesce(u.district, '')))) THEN
        RAISE EXCEPTION 'search documents differ from what ttdn_search_text computes';
    END IF;
END $$;

DROP TABLE bench_load_state;

-- ---------------------------------------------------------------------------------------------
-- Reports
-- ---------------------------------------------------------------------------------------------

SELECT count(*) AS new_periods FROM generate_series(2020, 2023) AS y, LATERAL ttdn_generate_periods(y) \gset

-- As for media entries: no per-row foreign-key queries; checked below with anti-joins.
SET session_replication_role = replica;

-- r: which report it is; s: whether and when it was submitted; a: what the office did with it.
INSERT INTO reports (id, unit_id, period_id, status, sections, first_submitted_at, submitted_at, accepted_at, created_at, updated_at,
                     received_on, received_via)
SELECT pg_temp.uid('report/' || x.unit_id || '/' || x.period_id), x.unit_id, x.period_id,
       x.status::report_status,
       jsonb_build_array(jsonb_build_object('title', 'Kết quả thực hiện',
           'body', 'Đơn vị đã triển khai các nhiệm vụ thông tin đối ngoại theo kế hoạch; đăng tải tin, bài trên trang thông tin điện tử.')),
       x.submitted_at, x.submitted_at,
       CASE WHEN x.status = 'accepted' THEN x.submitted_at + interval '5 days' END,
       coalesce(x.submitted_at, x.due_on::timestamptz) - interval '3 days', coalesce(x.submitted_at, x.due_on::timestamptz),
       (x.submitted_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date, CASE WHEN x.submitted_at IS NOT NULL THEN 'system'::report_channel END
FROM (
    SELECT u.id AS unit_id, p.id AS period_id, p.due_on,
           CASE WHEN r.s < 0.85 THEN
                    CASE WHEN r.a < 0.70 THEN 'accepted' WHEN r.a < 0.95 THEN 'submitted' ELSE 'returned' END
                ELSE 'draft' END AS status,
           CASE WHEN r.s < 0.85 THEN
                    -- 80 % of the submitted ones by the due date (up to 12 days early), the rest up to 20 days late
                    (p.due_on::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh')
                    + CASE WHEN r.t < 0.80 THEN -(r.t / 0.80) * interval '12 days' + interval '16 hours'
                           ELSE (1 + (r.t - 0.80) / 0.20 * 19) * interval '1 day' END
                END AS submitted_at,
           r.s
    FROM units u
    CROSS JOIN report_periods p
    CROSS JOIN LATERAL (SELECT pg_temp.u(hashtext(u.code || p.id), 41) AS s,
                               pg_temp.u(hashtext(u.code || p.id), 42) AS a,
                               pg_temp.u(hashtext(u.code || p.id), 43) AS t) AS r
    WHERE p.year BETWEEN 2020 AND 2023
      AND ttdn_expected_to_report(u.reporting_from, u.reporting_to, u.valid_from, u.valid_to, p.ends_on)
) AS x
-- 85 % submitted; of the other 15 %, two thirds never started (no row) and one third are drafts.
WHERE x.s < 0.85 OR x.s >= 0.95
ON CONFLICT (unit_id, period_id) DO NOTHING;

INSERT INTO report_values (report_id, indicator_code, number_value, text_value)
SELECT r.id, i.code,
       CASE WHEN i.aggregation <> 'text' THEN floor(pg_temp.u(hashtext(r.id::text || i.code), 51) * 40) END,
       CASE WHEN i.aggregation = 'text' THEN 'Hoàn thành các nhiệm vụ được giao trong kỳ báo cáo.' END
FROM reports r
JOIN report_periods p ON p.id = r.period_id AND p.year BETWEEN 2020 AND 2023
JOIN report_indicators i ON i.code IN ('articles_published', 'events_held', 'press_information_provided',
                                       'misinformation_rebutted', 'narrative_summary')
WHERE r.status <> 'draft'
ON CONFLICT DO NOTHING;

RESET session_replication_role;

-- The foreign keys the bulk inserts did not check row by row.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM media_entries m WHERE m.related_unit_id IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM units u WHERE u.id = m.related_unit_id))
       OR EXISTS (SELECT 1 FROM reports r WHERE NOT EXISTS (SELECT 1 FROM units u WHERE u.id = r.unit_id)
                                              OR NOT EXISTS (SELECT 1 FROM report_periods p WHERE p.id = r.period_id))
       OR EXISTS (SELECT 1 FROM report_values v WHERE NOT EXISTS (SELECT 1 FROM reports r WHERE r.id = v.report_id)
                                                   OR NOT EXISTS (SELECT 1 FROM report_indicators i WHERE i.code = v.indicator_code)) THEN
        RAISE EXCEPTION 'generated rows break a foreign key';
    END IF;
END $$;

COMMIT;

-- Statistics, and the visibility map set now rather than by autovacuum during a measurement.
VACUUM (ANALYZE);

SELECT (SELECT count(*) FROM units) AS units,
       (SELECT count(*) FROM media_entries) AS media_entries,
       (SELECT sum(n) FROM media_daily_counts) AS rollup_total,
       (SELECT count(*) FROM reports) AS reports,
       (SELECT count(*) FROM report_values) AS report_values;
