-- The dates of section II.2.b of the 2023 plan. Anniversaries are computed from founding_year:
-- in 2023 the plan counts 93 years of the Party (1930), 133 of President Ho Chi Minh's birth
-- (1890), 78 of the August Revolution (1945), 68 of Hai Phong's liberation (1955) and 56 of
-- ASEAN (1967). Tết Quý Mão follows the lunar calendar, so it is recorded for 2023 only
-- (22 January 2023). The Red Flamboyant festival (Lễ hội Hoa Phượng Đỏ) is named by the plan
-- without dates, so it is not recorded.
INSERT INTO events (code, title, kind, recurrence, month, day, end_month, end_day, starts_on, ends_on, founding_year, description, organiser_unit_id)
VALUES
    ('DCSVN-0302', 'Ngày thành lập Đảng Cộng sản Việt Nam', 'commemoration', 'yearly', 2, 3, NULL, NULL, NULL, NULL, 1930,
     'Kỷ niệm Ngày thành lập Đảng Cộng sản Việt Nam (3/2/1930).', NULL),
    ('TET-QUYMAO-2023', 'Tết Nguyên đán Quý Mão', 'festival', 'once', NULL, NULL, NULL, NULL, '2023-01-22', NULL, NULL,
     'Đón Tết Nguyên đán Quý Mão 2023.', NULL),
    ('HCM-1905', 'Ngày sinh Chủ tịch Hồ Chí Minh', 'commemoration', 'yearly', 5, 19, NULL, NULL, NULL, NULL, 1890,
     'Kỷ niệm Ngày sinh Chủ tịch Hồ Chí Minh (19/5/1890).', NULL),
    ('GPHP-1305', 'Ngày giải phóng Hải Phòng', 'commemoration', 'yearly', 5, 13, NULL, NULL, NULL, NULL, 1955,
     'Kỷ niệm Ngày giải phóng Hải Phòng (13/5/1955).', NULL),
    ('CMT8-1908', 'Ngày Cách mạng tháng Tám thành công', 'commemoration', 'yearly', 8, 19, NULL, NULL, NULL, NULL, 1945,
     'Kỷ niệm Cách mạng tháng Tám thành công (19/8/1945).', NULL),
    ('QK-0209', 'Ngày Quốc khánh nước Cộng hoà xã hội chủ nghĩa Việt Nam', 'commemoration', 'yearly', 9, 2, NULL, NULL, NULL, NULL, 1945,
     'Kỷ niệm Ngày Quốc khánh (2/9/1945).', NULL),
    ('ASEAN-0808', 'Ngày thành lập ASEAN', 'commemoration', 'yearly', 8, 8, NULL, NULL, NULL, NULL, 1967,
     'Kỷ niệm Ngày thành lập Hiệp hội các quốc gia Đông Nam Á (08/8/1967).', NULL),
    ('ASEAN-WEEK', 'Tuần ASEAN', 'campaign', 'yearly', 7, 28, 8, 8, NULL, NULL, NULL,
     'Tuần ASEAN (28/7 - 8/8) và các dịp lễ kỷ niệm lớn của ASEAN.', NULL)
ON CONFLICT (code) DO NOTHING;

-- Linked to the plan task that asks for them (II.3.b and III.2.5).
INSERT INTO event_tasks (event_id, task_id)
SELECT e.id, t.id FROM events e
JOIN plan_tasks t ON t.code IN ('II.3.b', 'III.2.5')
JOIN plans p ON p.id = t.plan_id AND p.year = 2023 AND p.title = 'Kế hoạch công tác thông tin đối ngoại Ngành Giáo dục và Đào tạo năm 2023'
WHERE e.code IN ('DCSVN-0302', 'TET-QUYMAO-2023', 'HCM-1905', 'GPHP-1305', 'CMT8-1908', 'QK-0209', 'ASEAN-0808', 'ASEAN-WEEK')
ON CONFLICT DO NOTHING;
