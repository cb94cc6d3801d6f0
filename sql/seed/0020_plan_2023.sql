-- The 2023 plan itself: "Kế hoạch công tác thông tin đối ngoại Ngành Giáo dục và Đào tạo năm 2023"
-- of Sở GD&ĐT Hải Phòng, signed by Phó Giám đốc Phạm Quốc Hiệu (KT. Giám đốc). The document as
-- given carries no number or issue date, so neither is recorded. Text is the plan's own.
-- Idempotent: the plan is found by unit, year and title; tasks by their code in the plan.

INSERT INTO plans (year, title, issuing_unit_id, signer, signer_title, legal_bases, purposes, requirements, status)
SELECT 2023, 'Kế hoạch công tác thông tin đối ngoại Ngành Giáo dục và Đào tạo năm 2023', u.id,
       'Phạm Quốc Hiệu', 'Phó Giám đốc (KT. Giám đốc)',
       '[
         {"number": "72/2015/NĐ-CP", "date": "2015-08-07", "issuer": "Chính phủ", "title": "về quản lý hoạt động thông tin đối ngoại"},
         {"number": "22/2016/TT-BTTTT", "date": "2016-10-19", "issuer": "Bộ Thông tin và Truyền thông", "title": "về hướng dẫn quản lý hoạt động thông tin đối ngoại của các tỉnh, thành phố trực thuộc Trung ương"},
         {"number": "42/2018/QĐ-UBND", "date": "2018-12-21", "issuer": "Ủy ban nhân dân thành phố Hải Phòng", "title": "về triển khai Quyết định số 1191/QĐ-TTg ngày 05/8/2020 của Thủ tướng Chính phủ"},
         {"number": "1191/QĐ-TTg", "date": "2020-08-05", "issuer": "Thủ tướng Chính phủ", "title": "phê duyệt mục tiêu, nhiệm vụ, giải pháp đổi mới và nâng cao năng lực công tác thông tin tuyên truyền và thông tin đối ngoại góp phần xây dựng biên giới hoà bình, hữu nghị, hợp tác và phát triển"},
         {"number": "180/KH-UBND", "date": "2021-07-30", "issuer": "Ủy ban nhân dân thành phố Hải Phòng", "title": "về triển khai Quyết định số 1160/QĐ-TTg ngày 13/7/2021 của Thủ tướng Chính phủ"},
         {"number": "1160/QĐ-TTg", "date": "2021-07-13", "issuer": "Thủ tướng Chính phủ", "title": "về phê duyệt Chương trình hành động của Chính phủ về tuyên truyền, quảng bá ASEAN"},
         {"number": "5740/BTTTT-TTĐN", "date": "2022-11-25", "issuer": "Bộ Thông tin và Truyền thông", "title": "về việc hướng dẫn xây dựng kế hoạch công tác thông tin đối ngoại năm 2023"},
         {"number": "02/KH-UBND", "date": "2023-01-04", "issuer": "Ủy ban nhân dân thành phố Hải Phòng", "title": "về công tác thông tin đối ngoại thành phố Hải Phòng năm 2023"}
       ]'::jsonb,
       ARRAY[
         'Nhằm tiếp tục nâng cao chất lượng quản lý nhà nước thông tin đối ngoại về lĩnh vực giáo dục và đào tạo; đồng thời thông qua đó để thông tin về chủ trương, đường lối, chính sách, pháp luật của Đảng, Nhà nước phục vụ hiệu quả các mục tiêu, nhiệm vụ phát triển giáo dục và đào tạo.',
         'Tạo chuyển biến về nhận thức, chủ động mở rộng và nâng cao hiệu quả các hoạt động thông tin đối ngoại, thúc đẩy các hoạt động giao lưu, hợp tác về lĩnh vực giáo dục và đào tạo nhằm phát huy thế mạnh của thành phố trong quá trình hội nhập quốc tế.',
         'Tiếp tục nâng cao chất lượng, hiệu quả hoạt động thông tin, tuyên truyền đối ngoại, nâng cao hình ảnh, vị thế của Ngành Giáo dục và Đào tạo; tranh thủ sự ủng hộ, đồng tình của toàn xã hội đối với nhiệm vụ đổi mới và phát triển giáo dục và đào tạo.'
       ]::nfc_text[],
       ARRAY[
         'Triển khai thực hiện có hiệu quả các văn bản: Nghị định số 72/2015/NĐ-CP, Thông tư số 22/2016/TT-BTTTT, Quyết định số 42/2018/QĐ-UBND, Kế hoạch số 180/KH-UBND, Công văn số 5406/BTTTT-TTĐN ngày 31/12/2021 và Kế hoạch số 02/KH-UBND ngày 4/01/2023 của Ủy ban nhân dân thành phố về công tác thông tin đối ngoại thành phố Hải Phòng năm 2023.',
         'Các hoạt động thông tin đối ngoại được triển khai phải bám sát các chủ trương, đường lối, quan điểm của Đảng, pháp luật của Nhà nước nhằm phục vụ nhiệm vụ phát triển giáo dục và đào tạo. Chấp hành nghiêm chế độ bảo mật thông tin, bảo vệ bí mật Nhà nước trong hoạt động thông tin đối ngoại theo các quy định hiện hành; tập trung xử lý thông tin đối ngoại, định hướng dư luận, hạn chế ảnh hưởng tiêu cực của các thông tin sai lệch gây ảnh hưởng đến uy tín của ngành; phòng, chống và đấu tranh các luận điệu xuyên tạc về lĩnh vực giáo dục và đào tạo.',
         'Công tác thông tin đối ngoại phải được triển khai chủ động, toàn diện, thường xuyên, có trọng tâm, trọng điểm theo từng giai đoạn; kết hợp chặt chẽ giữa thông tin đối nội và thông tin đối ngoại nhằm mở rộng hợp tác quốc tế (với các nước trong đào tạo lưu học sinh) vì sự ổn định và phát triển của thành phố trên lĩnh vực giáo dục và đào tạo.'
       ]::nfc_text[],
       'active'
FROM units u
WHERE u.code = 'SGDDT-HP'
  AND NOT EXISTS (SELECT 1 FROM plans p WHERE p.issuing_unit_id = u.id AND p.year = 2023
                  AND p.title = 'Kế hoạch công tác thông tin đối ngoại Ngành Giáo dục và Đào tạo năm 2023');

CREATE TEMPORARY TABLE seed_tasks (
    code text, position integer, parent_code text, category task_category, title text, description text,
    year integer, quarter integer, expected_outputs text[], lead text[], cooperating text[]
) ON COMMIT DROP;

INSERT INTO seed_tasks VALUES
('II.1', 10, NULL, 'training', 'Tổ chức tập huấn, bồi dưỡng nghiệp vụ cho cán bộ phụ trách công tác thông tin đối ngoại',
 'Nội dung: Các văn bản quản lý nhà nước về thông tin đối ngoại, các nội dung của nhiệm vụ triển khai Quyết định số 1079/QĐ-TTg ngày 14/9/2022 của Thủ tướng Chính phủ phê duyệt Đề án truyền thông về quyền con người ở Việt Nam. Đối tượng: Lãnh đạo, cán bộ phụ trách công tác thông tin đối ngoại của Sở, các phòng Sở, các đơn vị giáo dục. Số lượng dự kiến: 80-120 người/lớp. Thời gian dự kiến: Quý III năm 2023. Hình thức: Hội nghị tập huấn trực tiếp hoặc trực tuyến (tuỳ theo tình hình thực tế). Đơn vị thực hiện: Sở Giáo dục và Đào tạo.',
 2023, 3, ARRAY['Lớp tập huấn 80-120 người/lớp'], ARRAY['SGDDT-HP'], ARRAY[]::text[]),
('II.2', 20, NULL, 'content_theme', 'Nội dung hoạt động thông tin đối ngoại', NULL, 2023, NULL, ARRAY[]::text[], ARRAY[]::text[], ARRAY[]::text[]),
('II.2.1', 21, 'II.2', 'content_theme', 'Đẩy mạnh cung cấp thông tin về chủ trương, đường lối của Đảng, chính sách, pháp luật của Nhà nước, các chủ trương, chính sách của thành phố trong hợp tác quốc tế về lĩnh vực giáo dục và đào tạo đến cán bộ, giáo viên và học sinh tại các đơn vị giáo dục toàn ngành trên địa bàn thành phố', NULL, 2023, NULL, ARRAY[]::text[], ARRAY[]::text[], ARRAY[]::text[]),
('II.2.2', 22, 'II.2', 'content_theme', 'Cung cấp thông tin tình hình trong nước, thế giới',
 'Thông tin tình hình thế giới trên các lĩnh vực; thông tin về quan hệ giữa Việt Nam với các nước và các thông tin khác nhằm thúc đẩy quan hệ chính trị, xã hội, văn hoá, quốc phòng, an ninh giữa Việt Nam với các nước; phục vụ phát triển kinh tế đất nước; thúc đẩy tiến trình hội nhập quốc tế của Việt Nam nói chung và Hải Phòng nói riêng.', 2023, NULL, ARRAY[]::text[], ARRAY[]::text[], ARRAY[]::text[]),
('II.2.3', 23, 'II.2', 'content_theme', 'Tiếp tục đẩy mạnh công tác tuyên truyền và phổ biến pháp luật nâng cao nhận thức của cán bộ, giáo viên, học sinh về vị trí, vai trò, tầm quan trọng của biển, đảo Việt Nam',
 'Về vị trí, vai trò, tầm quan trọng của biển, đảo Việt Nam đối với sự nghiệp xây dựng và bảo vệ Tổ quốc; đường lối, chủ trương, quan điểm, chính sách của Đảng, pháp luật của Nhà nước liên quan đến biển, đảo; nhiệm vụ bảo vệ chủ quyền biển, đảo của Tổ quốc trong giai đoạn hiện nay; xây dựng, củng cố, bảo vệ và phát triển mối quan hệ hoà bình, hữu nghị, hợp tác với các quốc gia có liên quan trên Biển Đông.', 2023, NULL, ARRAY[]::text[], ARRAY[]::text[], ARRAY[]::text[]),
('II.2.4', 24, 'II.2', 'content_theme', 'Tuyên truyền chủ trương, chính sách về giảm nghèo nhanh và bền vững, các mô hình sản xuất kinh doanh có hiệu quả, các tấm gương tiêu biểu, điển hình tiên tiến của ngành', NULL, 2023, NULL, ARRAY[]::text[], ARRAY[]::text[], ARRAY[]::text[]),
('II.2.5', 25, 'II.2', 'content_theme', 'Đẩy mạnh thông tin, tuyên truyền thực hiện Cuộc vận động “Người Việt Nam ưu tiên dùng hàng Việt Nam” trong tình hình mới thực hiện Chỉ thị số 28/CT-TTg ngày 26/10/2021 của Thủ tướng Chính phủ', NULL, 2023, NULL, ARRAY[]::text[], ARRAY[]::text[], ARRAY[]::text[]),
('II.2.6', 26, 'II.2', 'content_theme', 'Tuyên truyền các sự kiện chính trị, kinh tế, văn hoá, xã hội, an ninh quốc phòng quan trọng của đất nước và của thành phố; tuyên truyền, quảng bá về ASEAN năm 2023',
 'Triển khai thực hiện các hoạt động tuyên truyền, quảng bá về ASEAN năm 2023 trên địa bàn thành phố theo Kế hoạch số 180/KH-UBND ngày 30/7/2021 của Ủy ban nhân dân thành phố.', 2023, NULL, ARRAY[]::text[], ARRAY[]::text[], ARRAY[]::text[]),
('II.2.7', 27, 'II.2', 'content_theme', 'Giới thiệu tầm quan trọng và nội dung công tác thông tin đối ngoại trong tình hình mới; giới thiệu, quảng bá hình ảnh, đất nước, con người Việt Nam và thành phố Hải Phòng',
 'Thông tin ngoại giao về các nước có chung đường biên giới với Việt Nam; tình hình thế giới, khu vực và hoạt động đối ngoại của Đảng, ngoại giao Nhà nước; tình hình hội nhập quốc tế của Việt Nam và ứng xử của Việt Nam về tình hình Biển Đông; truyền thống lịch sử, các giá trị văn hóa, tiềm năng hợp tác về lĩnh vực giáo dục và đào tạo của thành phố Hải Phòng.', 2023, NULL, ARRAY[]::text[], ARRAY[]::text[], ARRAY[]::text[]),
('II.2.8', 28, 'II.2', 'content_theme', 'Phản bác lại các thông tin xuyên tạc, sai sự thật, ảnh hưởng đến uy tín của ngành, trái với những chủ trương, chính sách của Đảng, pháp luật của Nhà nước, của thành phố liên quan đến lĩnh vực ngành', NULL, 2023, NULL, ARRAY[]::text[], ARRAY[]::text[], ARRAY[]::text[]),
('II.3', 30, NULL, 'form_channel', 'Các hình thức thông tin đối ngoại',
 'Văn bản đánh số mục này là "2." lần thứ hai trong phần II; ở đây ghi là II.3.', 2023, NULL, ARRAY[]::text[], ARRAY[]::text[], ARRAY[]::text[]),
('II.3.a', 31, 'II.3', 'form_channel', 'Thông tin trên trang Website của Sở và các đơn vị giáo dục',
 'Tuyên truyền đường lối, chủ trương, chính sách của Đảng, Nhà nước, các văn bản chỉ đạo của thành phố; các thành tựu trên mọi lĩnh vực kinh tế - xã hội và các thành tựu về quyền con người trên địa bàn thành phố. Các cơ quan, đơn vị giáo dục xây dựng các chuyên mục, chuyên trang về thông tin các thành tích nổi bật, các tấm gương, điển hình tiên tiến (cán bộ, giáo viên, học sinh) trên trang Website của đơn vị mình, đồng thời thông tin thường xuyên về các hoạt động chuyên môn của nhà trường. Xây dựng cơ sở dữ liệu ứng dụng công nghệ thông tin để tăng cường hiệu quả, giới thiệu về lĩnh vực giáo dục và đào tạo của thành phố. Đăng tải toàn văn các văn bản quy phạm pháp luật về thông tin đối ngoại của thành phố trên trang Website của đơn vị.',
 2023, NULL, ARRAY['Chuyên mục, chuyên trang trên Website của đơn vị'], ARRAY[]::text[], ARRAY[]::text[]),
('II.3.b', 32, 'II.3', 'form_channel', 'Các loại hình thông tin đối ngoại khác',
 'Các hoạt động văn hóa - văn nghệ, thể dục - thể thao, các hoạt động ngoại khóa, ngoài giờ lên lớp, các hoạt động tham quan, trải nghiệm của cán bộ, giáo viên và học sinh; các hội nghị, hội thảo hợp tác quốc tế. Tuyên truyền các sự kiện chính trị, kinh tế, văn hóa, xã hội của đất nước, của thành phố (3/2, 19/5, 13/5, 19/8, 2/9, Lễ hội Hoa Phượng Đỏ); quảng bá các sự kiện hội nhập quốc tế, kỷ niệm 56 năm Ngày thành lập ASEAN, Tuần ASEAN (28/7 - 8/8); cung cấp thông tin về các vấn đề liên quan đến thành phố được dư luận nước ngoài quan tâm, đấu tranh với các thông tin sai lệch; tuyên truyền bảo vệ chủ quyền biển đảo; theo dõi, tổng hợp dư luận báo chí trong và ngoài nước viết về thành phố Hải Phòng; tham gia tập huấn kiến thức về thông tin đối ngoại, kỹ năng phát ngôn và cung cấp thông tin cho báo chí.',
 2023, NULL, ARRAY[]::text[], ARRAY[]::text[], ARRAY[]::text[]),
('III.1', 40, NULL, 'state_management', 'Công tác quản lý nhà nước về thông tin đối ngoại', NULL, 2023, NULL, ARRAY[]::text[], ARRAY['SGDDT-HP'], ARRAY[]::text[]),
('III.1.1', 41, 'III.1', 'state_management', 'Xây dựng kế hoạch hoạt động thông tin đối ngoại', 'Thời gian thực hiện: Trong năm 2023.', 2023, NULL, ARRAY['Kế hoạch hoạt động thông tin đối ngoại năm 2023'], ARRAY['SGDDT-HP'], ARRAY[]::text[]),
('III.1.2', 42, 'III.1', 'training', 'Tham gia tập huấn, bồi dưỡng về nghiệp vụ về thông tin đối ngoại cho cán bộ kiêm nhiệm', 'Thời gian thực hiện: Năm 2023.', 2023, NULL, ARRAY[]::text[], ARRAY['SGDDT-HP'], ARRAY[]::text[]),
('III.1.3', 43, 'III.1', 'state_management', 'Hướng dẫn thực hiện công tác thông tin đối ngoại cho các phòng Sở và các đơn vị giáo dục (phối hợp với Sở Thông tin và Truyền thông)',
 'Tập huấn, bồi dưỡng nghiệp vụ cho cán bộ kiêm nhiệm thông tin đối ngoại. Tập huấn, bồi dưỡng kiến thức về thông tin đối ngoại, công tác phát ngôn và cung cấp thông tin cho báo chí, dành cho Thủ trưởng các Phòng Giáo dục và Đào tạo quận, huyện; các trường THPT, các trung tâm GDNN-GDTX quận, huyện và các đơn vị trực thuộc. Thời gian thực hiện: dự kiến Quý III, năm 2023.',
 2023, 3, ARRAY[]::text[], ARRAY['SGDDT-HP'], ARRAY['STTTT-HP']),
('III.2', 50, NULL, 'core_task', 'Các nhiệm vụ thông tin đối ngoại cơ bản', NULL, 2023, NULL, ARRAY[]::text[], ARRAY[]::text[], ARRAY[]::text[]),
('III.2.1', 51, 'III.2', 'core_task', 'Giới thiệu những tấm gương điển hình tiên tiến Ngành Giáo dục và Đào tạo (cán bộ, giáo viên, học sinh)', NULL, 2023, NULL, ARRAY[]::text[], ARRAY[]::text[], ARRAY[]::text[]),
('III.2.2', 52, 'III.2', 'core_task', 'Giới thiệu, thông tin về chương trình đổi mới giáo dục phổ thông, sách giáo khoa mới', NULL, 2023, NULL, ARRAY[]::text[], ARRAY[]::text[], ARRAY[]::text[]),
('III.2.3', 53, 'III.2', 'core_task', 'Giới thiệu, quảng bá quá trình hợp tác đào tạo với các tỉnh thuộc các nước (đào tạo lưu học sinh trên địa bàn thành phố Hải Phòng); tăng cường công tác thông tin đối ngoại với Lào và Campuchia trong tình hình mới', NULL, 2023, NULL, ARRAY[]::text[], ARRAY[]::text[], ARRAY[]::text[]),
('III.2.4', 54, 'III.2', 'core_task', 'Cung cấp thông tin báo chí về tình hình phát triển giáo dục và đào tạo trong năm học',
 'Quy mô trường, lớp; trường chuẩn quốc gia; kết quả thi tuyển sinh vào lớp 10, thi tốt nghiệp THPT, thi chọn học sinh giỏi, thi chuyên đề...', 2023, NULL, ARRAY[]::text[], ARRAY[]::text[], ARRAY[]::text[]),
('III.2.5', 55, 'III.2', 'core_task', 'Tổ chức các hoạt động tuyên truyền phục vụ các sự kiện chính trị - xã hội quan trọng và các sự kiện đối ngoại lớn của thành phố', NULL, 2023, NULL, ARRAY[]::text[], ARRAY[]::text[], ARRAY[]::text[]);

WITH plan AS (
    SELECT p.id FROM plans p JOIN units u ON u.id = p.issuing_unit_id
    WHERE u.code = 'SGDDT-HP' AND p.year = 2023 AND p.title = 'Kế hoạch công tác thông tin đối ngoại Ngành Giáo dục và Đào tạo năm 2023'
)
INSERT INTO plan_tasks (plan_id, code, position, category, title, description, year, quarter, expected_outputs)
SELECT plan.id, s.code, s.position, s.category, s.title, s.description, s.year, s.quarter, s.expected_outputs::nfc_text[]
FROM seed_tasks s CROSS JOIN plan
ORDER BY s.position
ON CONFLICT (plan_id, code) DO NOTHING;

-- Parents, once every task exists.
UPDATE plan_tasks t SET parent_id = parent.id
FROM seed_tasks s, plan_tasks parent
WHERE t.code = s.code AND parent.code = s.parent_code AND parent.plan_id = t.plan_id
  AND t.parent_id IS NULL AND s.parent_code IS NOT NULL
  AND t.plan_id IN (SELECT p.id FROM plans p WHERE p.year = 2023 AND p.title = 'Kế hoạch công tác thông tin đối ngoại Ngành Giáo dục và Đào tạo năm 2023');

INSERT INTO plan_task_units (task_id, unit_id, role)
SELECT t.id, u.id, link.role
FROM seed_tasks s
CROSS JOIN LATERAL (SELECT unnest(s.lead) AS code, 'lead' AS role UNION ALL SELECT unnest(s.cooperating), 'cooperating') AS link
JOIN units u ON u.code = link.code
JOIN plan_tasks t ON t.code = s.code
JOIN plans p ON p.id = t.plan_id AND p.year = 2023 AND p.title = 'Kế hoạch công tác thông tin đối ngoại Ngành Giáo dục và Đào tạo năm 2023'
ON CONFLICT (task_id, unit_id) DO NOTHING;

-- Section V: every district office and education unit implements the plan in its own way and
-- reports on it, so each is assigned the core tasks of III.2.
INSERT INTO plan_task_assignments (task_id, unit_id)
SELECT t.id, u.id
FROM plan_tasks t
JOIN plans p ON p.id = t.plan_id AND p.year = 2023 AND p.title = 'Kế hoạch công tác thông tin đối ngoại Ngành Giáo dục và Đào tạo năm 2023'
CROSS JOIN units u
WHERE t.code LIKE 'III.2.%'
  AND u.kind IN ('district_office', 'high_school', 'continuing_education_center')
  AND (u.valid_from IS NULL OR u.valid_from <= '2023-12-31') AND (u.valid_to IS NULL OR u.valid_to >= '2023-01-01')
ON CONFLICT (task_id, unit_id) DO NOTHING;
