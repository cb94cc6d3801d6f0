-- Units of the 2023 plan (Kế hoạch công tác TTĐN năm 2023 của Sở GD&ĐT Hải Phòng).
-- Idempotent: rows are keyed by their stable code and never overwritten.
--
-- What is recorded, and why:
-- * the Department and the Department office (Văn phòng Sở), which collects the reports (section IV);
-- * the outside bodies of the distribution list: UBND thành phố and Sở Thông tin và Truyền thông;
-- * the district education offices of Hai Phong's 15 districts as they were in 2023. On 1 January 2025
--   huyện Thủy Nguyên became thành phố Thủy Nguyên and huyện An Dương became quận An Dương
--   (Nghị quyết 1232/NQ-UBTVQH15); on 1 July 2025 the district level was abolished, so every district
--   office ends no later than 2025-06-30. Their later successors (ward and commune offices) are not recorded;
-- * Sở Thông tin và Truyền thông merged into Sở Khoa học và Công nghệ on 1 March 2025 with the national
--   merger of the two ministries;
-- * a few high schools whose names are certain. District and contact data are left empty where not known.

INSERT INTO units (code, name, kind, parent_id, district, website, valid_from, valid_to) VALUES
    ('SGDDT-HP', 'Sở Giáo dục và Đào tạo Hải Phòng', 'department', NULL, NULL, 'https://haiphong.edu.vn', NULL, NULL),
    ('UBND-HP', 'Ủy ban nhân dân thành phố Hải Phòng', 'external', NULL, NULL, NULL, NULL, NULL),
    ('SKHCN-HP', 'Sở Khoa học và Công nghệ Hải Phòng', 'external', NULL, NULL, NULL, NULL, NULL),
    ('STTTT-HP', 'Sở Thông tin và Truyền thông Hải Phòng', 'external', NULL, NULL, NULL, NULL, '2025-02-28')
ON CONFLICT (code) DO NOTHING;

INSERT INTO units (code, name, kind, parent_id, district, valid_from, valid_to)
SELECT v.code, v.name, v.kind::unit_kind, p.id, v.district, v.valid_from::date, v.valid_to::date
FROM (VALUES
    ('SGDDT-HP.VP', 'Văn phòng Sở Giáo dục và Đào tạo', 'department_office', NULL, NULL, NULL),
    ('PGD-HONGBANG', 'Phòng Giáo dục và Đào tạo quận Hồng Bàng', 'district_office', 'Hồng Bàng', NULL, '2025-06-30'),
    ('PGD-NGOQUYEN', 'Phòng Giáo dục và Đào tạo quận Ngô Quyền', 'district_office', 'Ngô Quyền', NULL, '2025-06-30'),
    ('PGD-LECHAN', 'Phòng Giáo dục và Đào tạo quận Lê Chân', 'district_office', 'Lê Chân', NULL, '2025-06-30'),
    ('PGD-HAIAN', 'Phòng Giáo dục và Đào tạo quận Hải An', 'district_office', 'Hải An', NULL, '2025-06-30'),
    ('PGD-KIENAN', 'Phòng Giáo dục và Đào tạo quận Kiến An', 'district_office', 'Kiến An', NULL, '2025-06-30'),
    ('PGD-DOSON', 'Phòng Giáo dục và Đào tạo quận Đồ Sơn', 'district_office', 'Đồ Sơn', NULL, '2025-06-30'),
    ('PGD-DUONGKINH', 'Phòng Giáo dục và Đào tạo quận Dương Kinh', 'district_office', 'Dương Kinh', NULL, '2025-06-30'),
    ('PGD-THUYNGUYEN', 'Phòng Giáo dục và Đào tạo huyện Thủy Nguyên', 'district_office', 'Thủy Nguyên', NULL, '2024-12-31'),
    ('PGD-TP-THUYNGUYEN', 'Phòng Giáo dục và Đào tạo thành phố Thủy Nguyên', 'district_office', 'Thủy Nguyên', '2025-01-01', '2025-06-30'),
    ('PGD-ANDUONG', 'Phòng Giáo dục và Đào tạo huyện An Dương', 'district_office', 'An Dương', NULL, '2024-12-31'),
    ('PGD-Q-ANDUONG', 'Phòng Giáo dục và Đào tạo quận An Dương', 'district_office', 'An Dương', '2025-01-01', '2025-06-30'),
    ('PGD-ANLAO', 'Phòng Giáo dục và Đào tạo huyện An Lão', 'district_office', 'An Lão', NULL, '2025-06-30'),
    ('PGD-KIENTHUY', 'Phòng Giáo dục và Đào tạo huyện Kiến Thụy', 'district_office', 'Kiến Thụy', NULL, '2025-06-30'),
    ('PGD-TIENLANG', 'Phòng Giáo dục và Đào tạo huyện Tiên Lãng', 'district_office', 'Tiên Lãng', NULL, '2025-06-30'),
    ('PGD-VINHBAO', 'Phòng Giáo dục và Đào tạo huyện Vĩnh Bảo', 'district_office', 'Vĩnh Bảo', NULL, '2025-06-30'),
    ('PGD-CATHAI', 'Phòng Giáo dục và Đào tạo huyện Cát Hải', 'district_office', 'Cát Hải', NULL, '2025-06-30'),
    ('PGD-BACHLONGVI', 'Phòng Giáo dục và Đào tạo huyện Bạch Long Vĩ', 'district_office', 'Bạch Long Vĩ', NULL, '2025-06-30'),
    ('THPT-CHUYEN-TRANPHU', 'Trường THPT chuyên Trần Phú', 'high_school', NULL, NULL, NULL),
    ('THPT-THAIPHIEN', 'Trường THPT Thái Phiên', 'high_school', NULL, NULL, NULL),
    ('THPT-NGOQUYEN', 'Trường THPT Ngô Quyền', 'high_school', NULL, NULL, NULL),
    ('THPT-TRANNGUYENHAN', 'Trường THPT Trần Nguyên Hãn', 'high_school', NULL, NULL, NULL),
    ('THPT-LEQUYDON', 'Trường THPT Lê Quý Đôn', 'high_school', NULL, NULL, NULL)
) AS v(code, name, kind, district, valid_from, valid_to)
CROSS JOIN (SELECT id FROM units WHERE code = 'SGDDT-HP') AS p
ON CONFLICT (code) DO NOTHING;

-- Who took over, where the successor is recorded.
UPDATE units u SET successor_id = s.id
FROM (VALUES
    ('PGD-THUYNGUYEN', 'PGD-TP-THUYNGUYEN'),
    ('PGD-ANDUONG', 'PGD-Q-ANDUONG'),
    ('STTTT-HP', 'SKHCN-HP')
) AS link(code, successor_code)
JOIN units s ON s.code = link.successor_code
WHERE u.code = link.code AND u.successor_id IS NULL;
