-- W6: GET /v1/aggregates/report-compliance?period_id=2023-H1: the statements ttdn runs for it, as
-- captured from PostgreSQL's log. pgbench -M prepared -n -D token=PUBLIC_ID -D period=2023-H1 -f bench/sql/W6.sql
-- ReportPeriodRoutes.find (Sources/TTDN/Reports/ReportPeriods.swift)
SELECT p.id, p.kind::text AS kind, p.year, p.title, p.starts_on, p.ends_on, p.due_on, p.regime, p.closed_at, p.closed_comment, p.created_at, p.updated_at, p.version FROM report_periods p WHERE p.id = :period \gset
-- ReportRepository.forEachExpectedUnit (Sources/TTDN/Reports/ReportRepository.swift)
SELECT u.unit_id AS id, u.code, u.name, u.kind::text AS kind, u.parent_id, u.parent_name,
       coalesce(r.status = 'accepted', false) AS accepted, r.received_on IS NOT NULL AS submitted, r.received_on <= :due_on AS on_time
FROM ttdn_period_units(:period) u
LEFT JOIN reports r ON r.unit_id = u.unit_id AND r.period_id = :period
ORDER BY u.name COLLATE "vi-x-icu", u.unit_id;
