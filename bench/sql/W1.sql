-- W1: GET /v1/units/{random id}: the statements ttdn runs for it, as captured from PostgreSQL's
-- log. pgbench -M prepared -n -D token=PUBLIC_ID -D nschools=N -f bench/sql/W1.sql
-- The ids of generated schools are md5 of their name (bench/generate), so a random one is
-- md5(...)::uuid: one md5 per statement more than the server's `u.id = $1`.
\set n random(1, :nschools)
-- UnitRepository.row (Sources/TTDN/Units/UnitRepository.swift)
SELECT u.id, u.code, u.name, u.kind::text AS kind, u.parent_id, u.district, u.address, u.phone, u.email, u.website,
u.officer_name AS "officer.name", u.officer_position AS "officer.position", u.officer_phone AS "officer.phone",
u.officer_email AS "officer.email", u.active, u.valid_from, u.valid_to, u.successor_id, u.reporting_from, u.reporting_to,
u.created_at, u.updated_at, u.version FROM units u WHERE u.id = md5('ttdn-bench/unit/school-' || :n::text)::uuid;
