-- Generator, part 1 of 3: the units, and the media table made ready for a bulk load.
-- Run once, before any 2_media.sql. See bench/generate.sql.
\set ON_ERROR_STOP on
\set units_total 1000
\ir functions.sql

BEGIN;

-- Left behind only by a load that stopped half-way: a database is loaded once.
DO $$
BEGIN
    IF to_regclass('bench_load_state') IS NOT NULL OR EXISTS (SELECT 1 FROM media_entries) THEN
        RAISE EXCEPTION 'this database already holds media entries or a half-done load: generate into a fresh one';
    END IF;
END $$;

-- The secondary indexes of media_entries, dropped for the load and built again by part 3.
CREATE TABLE bench_load_state AS
SELECT (SELECT array_agg(pg_get_indexdef(i.indexrelid) ORDER BY i.indexrelid)
        FROM pg_index i
        WHERE i.indrelid = 'media_entries'::regclass
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)) AS media_indexes;

-- ---------------------------------------------------------------------------------------------
-- Units
-- ---------------------------------------------------------------------------------------------

-- Offices of the Department.
INSERT INTO units (id, code, name, kind, parent_id, website)
SELECT pg_temp.uid('unit/' || o.code), 'SGDDT-HP.' || o.code, o.name, 'department_office', d.id, NULL
FROM (VALUES
    ('TCCB', 'Phòng Tổ chức cán bộ'),
    ('KHTC', 'Phòng Kế hoạch - Tài chính'),
    ('GDTrH', 'Phòng Giáo dục Trung học'),
    ('GDTH', 'Phòng Giáo dục Tiểu học'),
    ('GDMN', 'Phòng Giáo dục Mầm non'),
    ('GDCN-GDTX', 'Phòng Giáo dục chuyên nghiệp - Giáo dục thường xuyên'),
    ('KT-KDCL', 'Phòng Khảo thí và Kiểm định chất lượng giáo dục'),
    ('CTTT', 'Phòng Chính trị, tư tưởng'),
    ('TTr', 'Thanh tra Sở')
) AS o(code, name)
CROSS JOIN (SELECT id FROM units WHERE code = 'SGDDT-HP') AS d
ON CONFLICT (code) DO NOTHING;

-- The 15 district offices of 2023 (the seeded ones that were valid then), in code order.
CREATE TEMP TABLE bench_districts AS
SELECT row_number() OVER (ORDER BY code) AS n, id, code, district
FROM units
WHERE kind = 'district_office' AND valid_from IS NULL
ORDER BY code;

-- One continuing-education centre per district, under the Department.
INSERT INTO units (id, code, name, kind, parent_id, district)
SELECT pg_temp.uid('unit/GDNN-GDTX-' || b.code), 'TT-GDNN-GDTX-' || substr(b.code, 5), 'Trung tâm Giáo dục nghề nghiệp - Giáo dục thường xuyên ' || b.district,
       'continuing_education_center', d.id, b.district
FROM bench_districts b
CROSS JOIN (SELECT id FROM units WHERE code = 'SGDDT-HP') AS d
ON CONFLICT (code) DO NOTHING;

-- High schools (Trường THPT), under the Department, up to 60 with the seeded ones.
INSERT INTO units (id, code, name, kind, parent_id, district, website)
SELECT pg_temp.uid('unit/THPT-' || g.i), 'THPT-B' || lpad(g.i::text, 3, '0'),
       'Trường THPT ' || n.names[1 + (g.i - 1) % cardinality(n.names)]
           || CASE WHEN g.i > cardinality(n.names) THEN ' - cơ sở ' || (1 + (g.i - 1) / cardinality(n.names)) ELSE '' END,
       'high_school', d.id, b.district, 'https://thpt-b' || g.i || '.haiphong.edu.vn'
FROM generate_series(1, greatest(0, 60 - (SELECT count(*) FROM units WHERE kind = 'high_school'))) AS g(i)
CROSS JOIN (SELECT id FROM units WHERE code = 'SGDDT-HP') AS d
CROSS JOIN (SELECT ARRAY['Hồng Bàng', 'Lê Chân', 'Hải An', 'Kiến An', 'Đồ Sơn', 'Nguyễn Trãi', 'Trần Hưng Đạo', 'Lý Thường Kiệt',
                         'Quang Trung', 'Nguyễn Du', 'Tô Hiệu', 'Nguyễn Bỉnh Khiêm', 'Phạm Ngũ Lão', 'Lê Ích Mộc', 'Bạch Đằng',
                         'Hùng Thắng', 'Vĩnh Bảo', 'Tiên Lãng', 'An Lão', 'Kiến Thụy', 'Thủy Sơn', 'Cộng Hiền', 'Nguyễn Khuyến',
                         'Toàn Thắng', 'Quốc Tuấn', 'An Dương', 'Tô Hiến Thành', 'Mạc Đĩnh Chi', 'Ngô Gia Tự', 'Marie Curie',
                         'Lê Hồng Phong', 'Phan Đăng Lưu', 'Hàng Hải', 'Anhxtanh', 'Nguyễn Huệ', 'Thụy Hương', 'Cát Bà',
                         'Cát Hải', 'Lý Thái Tổ', 'An Hải', 'Nội trú Đồ Sơn', 'Thủy Nguyên', 'Đồng Hòa', 'Lạc Long Quân',
                         'Trần Tất Văn', 'Nguyễn Đức Cảnh', 'Hải Phòng', 'Lương Thế Vinh', 'Nam Triệu', 'Phạm Quang Thẩm',
                         'Quảng Thanh', 'Lê Lợi', 'Văn Cao', 'Hùng Vương', 'Minh Đức']) AS n(names)
CROSS JOIN LATERAL (SELECT district FROM bench_districts WHERE n = 1 + (g.i - 1) % 15) AS b
ON CONFLICT (code) DO NOTHING;

-- Schools under the district offices (mầm non, tiểu học, trung học cơ sở) until there are
-- :units_total units.
INSERT INTO units (id, code, name, kind, parent_id, district, phone, email, officer_name, officer_position)
SELECT pg_temp.uid('unit/school-' || g.i),
       s.prefix || '-' || substr(b.code, 5) || '-' || lpad(g.i::text, 4, '0'),
       s.level || ' ' || w.names[1 + ((g.i - 1) / 45) % cardinality(w.names)]
           || CASE WHEN (g.i - 1) / 45 >= cardinality(w.names) THEN ' số ' || (1 + (g.i - 1) / (45 * cardinality(w.names))) ELSE '' END,
       'affiliated_unit', b.id, b.district,
       '0225 3' || lpad(((hashint8extended(g.i, 11) & 2147483647) % 1000000)::text, 6, '0'),
       lower(s.prefix) || g.i || '@haiphong.edu.vn',
       pg_temp.pick(ARRAY['Nguyễn Thị Hương', 'Trần Văn Minh', 'Lê Thị Lan', 'Phạm Văn Hùng', 'Vũ Thị Thu', 'Hoàng Văn Nam',
                          'Đỗ Thị Hà', 'Bùi Văn Tuấn', 'Ngô Thị Mai', 'Đặng Văn Long'], g.i, 12),
       'Phó hiệu trưởng'
FROM generate_series(1, greatest(0, :units_total - (SELECT count(*) FROM units))) AS g(i)
CROSS JOIN (SELECT ARRAY['Đông Hải', 'Đằng Giang', 'Cát Bi', 'Lạch Tray', 'Vĩnh Niệm', 'An Biên', 'Trại Cau', 'Hàng Kênh',
                         'Dư Hàng', 'Niệm Nghĩa', 'Kênh Dương', 'Thượng Lý', 'Sở Dầu', 'Quán Toan', 'Hùng Vương', 'Minh Khai',
                         'Hoàng Văn Thụ', 'Phan Bội Châu', 'Máy Chai', 'Cầu Tre', 'Lạc Viên', 'Gia Viên', 'Đông Khê', 'Cầu Đất',
                         'Lương Khánh Thiện', 'Đằng Lâm', 'Tràng Cát', 'Nam Hải', 'Thành Tô', 'Bắc Sơn', 'Ngọc Sơn', 'Văn Đẩu',
                         'Lãm Hà', 'Quán Trữ', 'Tràng Minh', 'Bàng La', 'Hợp Đức', 'Ngọc Xuyên', 'Vạn Hương', 'Hải Thành',
                         'Anh Dũng', 'Hòa Nghĩa', 'Tân Thành', 'Núi Đèo', 'Lưu Kiếm', 'Minh Tân', 'Kênh Giang', 'Quảng Thanh',
                         'Lê Thiện', 'Nam Sơn', 'Hồng Phong', 'An Đồng', 'Trường Sơn', 'Quang Trung', 'Quang Hưng', 'Tân Dân',
                         'Đại Hợp', 'Tú Sơn', 'Ngũ Phúc', 'Thụy Hương', 'Hùng Thắng', 'Tiên Minh', 'Quyết Tiến', 'Cấp Tiến',
                         'Thắng Thủy', 'Vĩnh Long', 'Cổ Am', 'Tam Cường', 'Văn Phong', 'Hoàng Châu', 'Trân Châu', 'Xuân Đám']) AS w(names)
CROSS JOIN LATERAL (SELECT id, code, district FROM bench_districts WHERE n = 1 + (g.i - 1) % 15) AS b
CROSS JOIN LATERAL (SELECT * FROM (VALUES (0, 'Trường Mầm non', 'MN'), (1, 'Trường Tiểu học', 'TH'), (2, 'Trường THCS', 'THCS')) AS l(k, level, prefix)
                    WHERE l.k = ((g.i - 1) / 15) % 3) AS s
ON CONFLICT (code) DO NOTHING;

-- ---------------------------------------------------------------------------------------------
-- Media entries: no secondary index and no rollup trigger until 3_finish.sql
-- ---------------------------------------------------------------------------------------------

DO $$
DECLARE ix record;
BEGIN
    FOR ix IN SELECT i.indexrelid::regclass::text AS name
              FROM pg_index i
              WHERE i.indrelid = 'media_entries'::regclass
                AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) LOOP
        EXECUTE 'DROP INDEX ' || ix.name;
    END LOOP;
END $$;

ALTER TABLE media_entries DISABLE TRIGGER media_entries_counted;

COMMIT;
