-- W4: POST /v1/media-entries as an editor, a new URL each time: the statements ttdn runs for it,
-- as captured from PostgreSQL's log. The server binds the audit row's JSON from the entry it
-- just read back; here it is a constant of the same size and shape. The sentiment varies as in
-- bench/wrk/workload.lua: each (day, sentiment, ...) row of media_daily_counts is a hot row that
-- concurrent inserts update in turn, so the mix matters.
-- pgbench -M prepared -n -D token=EDITOR_PUBLIC_ID -D token_id=EDITOR_TOKEN_UUID -D unit_id=UNIT_UUID
--         -D nonce=RUN_ID -f bench/sql/W4.sql
\set r random(1, 1000000000000)
-- the same mix of sentiments as the wrk script (6 neutral, 3 positive, 1 negative in 10)
\set s random(1, 10)
BEGIN;
-- MediaRoutes.insert (Sources/TTDN/Media/MediaRoutes.swift)
INSERT INTO media_entries AS m (title, url, url_normalized, outlet, origin, country, language, published_at, captured_at,
    summary, summary_vi, topics, sentiment, misinformation, response_status, response_note, response_url, responded_at,
    related_unit_id, recorded_by)
VALUES ('Học sinh Hải Phòng đạt giải cao tại kỳ thi khoa học kỹ thuật quốc tế',
    'https://bench.example/pgbench/' || :nonce || '/' || :client_id || '/' || :r,
    'https://bench.example/pgbench/' || :nonce || '/' || :client_id || '/' || :r,
    'Báo Hải Phòng', 'domestic'::media_origin,
    'VN', 'vi', now(), coalesce(NULL, now()),
    'Đoàn học sinh thành phố giành hai huy chương vàng; Sở Giáo dục và Đào tạo tổ chức lễ tuyên dương.', NULL, '{}',
    (CASE WHEN :s <= 6 THEN 'neutral' WHEN :s <= 9 THEN 'positive' ELSE 'negative' END)::media_sentiment,
    false, 'none'::media_response_status, NULL,
    NULL, NULL, :unit_id, :token_id)
ON CONFLICT (url_normalized) DO NOTHING
RETURNING m.id AS entry_id, m.title, m.url, m.url_normalized, m.outlet, m.origin::text AS origin, m.country, m.language, m.published_at,
m.captured_at, m.summary, m.summary_vi, m.topics::text[] AS topics, m.sentiment::text AS sentiment, m.misinformation,
m.response_status::text AS response_status, m.response_note, m.response_url, m.responded_at,
extract(epoch FROM m.responded_at - m.captured_at)::int8 AS response_time_seconds,
m.related_unit_id, m.recorded_by, m.created_at, m.updated_at, m.version \gset
-- Write.audit (Sources/TTDN/Audit/Audit.swift)
INSERT INTO audit_events (actor_token_id, actor_role, actor_unit_id, resource_type, resource_id,
                          action, changed_fields, before, after, request_id)
SELECT :token_id, 'editor'::token_role, :unit_id,
       'media_entries', :entry_id, 'create',
       coalesce((SELECT array_agg(key ORDER BY key)
                 FROM jsonb_each('{"id": "00000000-0000-4000-8000-000000000000", "url": "https://bench.example/pgbench/0/0/000000000000", "title": "Học sinh Hải Phòng đạt giải cao tại kỳ thi khoa học kỹ thuật quốc tế", "origin": "domestic", "outlet": "Báo Hải Phòng", "topics": [], "country": "VN", "summary": "Đoàn học sinh thành phố giành hai huy chương vàng; Sở Giáo dục và Đào tạo tổ chức lễ tuyên dương.", "version": 1, "language": "vi", "sentiment": "positive", "created_at": "2024-06-15T01:00:00.000000Z", "summary_vi": null, "updated_at": "2024-06-15T01:00:00.000000Z", "captured_at": "2024-06-15T01:00:00.000000Z", "recorded_by": "00000000-0000-4000-8000-000000000000", "published_at": "2024-06-15T01:00:00Z", "responded_at": null, "response_url": null, "response_note": null, "misinformation": false, "url_normalized": "https://bench.example/pgbench/0/0/000000000000", "related_unit_id": "00000000-0000-4000-8000-000000000000", "response_status": "none", "response_time_seconds": null}'::jsonb) a
                 FULL JOIN jsonb_each(NULL::jsonb) b USING (key)
                 WHERE a.value IS DISTINCT FROM b.value), '{}'),
       NULL::jsonb, '{"id": "00000000-0000-4000-8000-000000000000", "url": "https://bench.example/pgbench/0/0/000000000000", "title": "Học sinh Hải Phòng đạt giải cao tại kỳ thi khoa học kỹ thuật quốc tế", "origin": "domestic", "outlet": "Báo Hải Phòng", "topics": [], "country": "VN", "summary": "Đoàn học sinh thành phố giành hai huy chương vàng; Sở Giáo dục và Đào tạo tổ chức lễ tuyên dương.", "version": 1, "language": "vi", "sentiment": "positive", "created_at": "2024-06-15T01:00:00.000000Z", "summary_vi": null, "updated_at": "2024-06-15T01:00:00.000000Z", "captured_at": "2024-06-15T01:00:00.000000Z", "recorded_by": "00000000-0000-4000-8000-000000000000", "published_at": "2024-06-15T01:00:00Z", "responded_at": null, "response_url": null, "response_note": null, "misinformation": false, "url_normalized": "https://bench.example/pgbench/0/0/000000000000", "related_unit_id": "00000000-0000-4000-8000-000000000000", "response_status": "none", "response_time_seconds": null}'::jsonb,
       '00000000-0000-4000-8000-000000000000';
COMMIT;
