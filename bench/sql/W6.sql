-- W6: GET /v1/aggregates/report-compliance?period_id=2023-H1: the statements ttdn runs for it, as
-- captured from PostgreSQL's log. pgbench -M prepared -n -D token=PUBLIC_ID -D period=2023-H1 -f bench/sql/W6.sql
-- ReportPeriodRoutes.find (Sources/TTDN/Reports/ReportPeriods.swift)
SELECT p.id, p.kind::text AS kind, p.year, p.title, p.starts_on, p.ends_on, p.due_on, p.created_at, p.updated_at, p.version FROM report_periods p WHERE p.id = :period \gset
-- ReportAggregateRoutes.compliance (Sources/TTDN/Reports/ReportAggregates.swift)
SELECT u.id, u.code, u.name, u.kind::text AS kind, u.parent_id, parent.name AS parent_name,
       r.status::text AS status, r.first_submitted_at IS NOT NULL AS submitted,
       (r.first_submitted_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date <= :due_on AS on_time
FROM units u
LEFT JOIN units parent ON parent.id = u.parent_id
LEFT JOIN reports r ON r.unit_id = u.id AND r.period_id = :period
WHERE ttdn_expected_to_report(u.kind, u.active, u.valid_from, u.valid_to, :ends_on)
ORDER BY u.name COLLATE "vi-x-icu", u.id;
