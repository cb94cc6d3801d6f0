-- The training of section II.1 (and III.1.3) of the 2023 plan: one conference-style class of
-- 80-120 people in Q3 2023, in person or online depending on circumstances (so: hybrid), for
-- leaders and foreign-information officers, organised by the Department. The plan gives no
-- date, venue or link, so none is recorded.
INSERT INTO training_sessions (title, topic, content_summary, audience, organiser_unit_id, plan_task_id, format,
                               planned_year, planned_quarter, expected_min, expected_max, capacity, status)
SELECT 'Hội nghị tập huấn, bồi dưỡng nghiệp vụ công tác thông tin đối ngoại năm 2023',
       'Các văn bản quản lý nhà nước về thông tin đối ngoại; Đề án truyền thông về quyền con người ở Việt Nam',
       'Các văn bản quản lý nhà nước về thông tin đối ngoại, các nội dung của nhiệm vụ triển khai Quyết định số 1079/QĐ-TTg ngày 14/9/2022 của Thủ tướng Chính phủ phê duyệt Đề án truyền thông về quyền con người ở Việt Nam. Hình thức: Hội nghị tập huấn trực tiếp hoặc trực tuyến (tuỳ theo tình hình thực tế).',
       'Lãnh đạo, cán bộ phụ trách công tác thông tin đối ngoại của Sở, các phòng Sở, các đơn vị giáo dục',
       u.id, t.id, 'hybrid', 2023, 3, 80, 120, 120, 'planned'
FROM units u
JOIN plans p ON p.issuing_unit_id = u.id AND p.year = 2023 AND p.title = 'Kế hoạch công tác thông tin đối ngoại Ngành Giáo dục và Đào tạo năm 2023'
JOIN plan_tasks t ON t.plan_id = p.id AND t.code = 'II.1'
WHERE u.code = 'SGDDT-HP'
  AND NOT EXISTS (SELECT 1 FROM training_sessions s WHERE s.plan_task_id = t.id
                  AND s.title = 'Hội nghị tập huấn, bồi dưỡng nghiệp vụ công tác thông tin đối ngoại năm 2023');
