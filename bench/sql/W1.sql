-- W1: GET /v1/units/{random id}: the statements ttdn runs for it, as captured from PostgreSQL's
-- log. pgbench -M prepared -n -D token=PUBLIC_ID -D nschools=N -f bench/sql/W1.sql
-- The ids of generated schools are md5 of their name (bench/generate), so a random one is
-- md5(...)::uuid: one md5 per statement more than the server's `u.id = $1`.
\set n random(1, :nschools)
-- UnitRepository.find (Sources/TTDN/Units/UnitRepository.swift)
SELECT u.id, u.code, u.name, u.kind::text AS kind, u.parent_id, u.district, u.address, u.phone, u.email, u.website,
u.officer_name, u.officer_position, u.officer_phone, u.officer_email, u.active, u.valid_from, u.valid_to,
u.successor_id, u.created_at, u.updated_at, u.version FROM units u WHERE u.id = md5('ttdn-bench/unit/school-' || :n::text)::uuid;
