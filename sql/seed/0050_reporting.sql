-- What section IV asks units to report on, as a catalogue of indicators.
INSERT INTO report_indicators (code, name, unit_of_measure, aggregation, position) VALUES
    ('articles_published', 'Tin, bài đăng trên trang thông tin điện tử của đơn vị', 'tin, bài', 'sum', 10),
    ('exemplary_people_featured', 'Tấm gương điển hình tiên tiến được giới thiệu (cán bộ, giáo viên, học sinh)', 'người', 'sum', 20),
    ('events_held', 'Sự kiện, hoạt động tuyên truyền đã tổ chức', 'hoạt động', 'sum', 30),
    ('trainings_attended', 'Lớp tập huấn, bồi dưỡng về thông tin đối ngoại đã tham gia', 'lớp', 'sum', 40),
    ('people_trained', 'Lượt cán bộ được tập huấn, bồi dưỡng', 'lượt người', 'sum', 50),
    ('press_information_provided', 'Lần cung cấp thông tin cho báo chí', 'lần', 'sum', 60),
    ('misinformation_rebutted', 'Thông tin sai lệch đã phản bác, đính chính', 'tin', 'sum', 70),
    ('international_cooperation_activities', 'Hoạt động hợp tác quốc tế (trong đó với Lào, Campuchia)', 'hoạt động', 'sum', 80),
    ('international_cooperation_with_laos', 'Trong đó: hoạt động hợp tác với Lào', 'hoạt động', 'sum', 81),
    ('international_cooperation_with_cambodia', 'Trong đó: hoạt động hợp tác với Campuchia', 'hoạt động', 'sum', 82),
    ('assigned_tasks_done', 'Nhiệm vụ được giao đã hoàn thành', 'nhiệm vụ', 'sum', 90),
    ('narrative_summary', 'Tóm tắt kết quả triển khai', NULL, 'text', 100)
ON CONFLICT (code) DO NOTHING;

-- The periods of 2023.
SELECT count(*) FROM ttdn_generate_periods(2023);
