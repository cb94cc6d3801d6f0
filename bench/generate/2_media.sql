-- Generator, part 2 of 3: media entries number 1 + :part, 1 + :part + :parts, ... up to :rows, so
-- that :parts sessions (part = 0 .. parts - 1) can load in parallel. See bench/generate.sql.
\set ON_ERROR_STOP on
\if :{?rows}
\else
\set rows 10000
\endif
\if :{?part}
\else
\set part 0
\endif
\if :{?parts}
\else
\set parts 1
\endif
\ir functions.sql
-- No row triggers: the rollup is built in part 3, and the foreign key to units (the only one),
-- which would cost a query per row, is checked there with one anti-join.
SET session_replication_role = replica;

INSERT INTO media_entries (id, title, url, url_normalized, outlet, origin, country, language, published_at, captured_at,
                           summary, summary_vi, topics, sentiment, misinformation, response_status, response_note,
                           response_url, responded_at, related_unit_id, created_at, updated_at)
SELECT pg_temp.uid('media/' || g.i),
       e.title, e.url, e.url AS url_normalized, e.outlet, e.origin::media_origin, e.country, e.language, e.published_at, e.captured_at,
       e.summary, e.summary_vi, e.topics, e.sentiment::media_sentiment, e.misinformation, e.status::media_response_status,
       CASE WHEN e.status IN ('responded', 'closed') THEN 'Đã phối hợp với cơ quan báo chí đăng tin đính chính, cung cấp thông tin chính thức của Sở.' END,
       CASE WHEN e.status IN ('responded', 'closed') THEN 'https://haiphong.edu.vn/dinh-chinh/' || g.i END,
       CASE WHEN e.status IN ('responded', 'closed') THEN e.captured_at + (2 + 70 * pg_temp.u(g.i, 21)) * interval '1 hour' END,
       e.related_unit_id, e.captured_at, e.captured_at
FROM generate_series(1 + :part, :rows, :parts) AS g(i)
CROSS JOIN (SELECT
    ARRAY['Học sinh Hải Phòng', 'Sở Giáo dục và Đào tạo Hải Phòng', 'Trường THPT chuyên Trần Phú', 'Giáo viên Hải Phòng',
          'Ngành giáo dục thành phố Hải Phòng', 'Phòng Giáo dục và Đào tạo quận Lê Chân', 'Nhiều trường học ở Hải Phòng',
          'Học sinh trường THCS Chu Văn An', 'Trường THPT Ngô Quyền', 'Phụ huynh học sinh', 'Đoàn giáo viên Hải Phòng',
          'Sinh viên quốc tế', 'Thầy cô giáo vùng đảo Cát Hải', 'Trường Tiểu học Đông Hải'] AS subjects,
    ARRAY['giành huy chương vàng kỳ thi Olympic quốc tế', 'tổ chức kỳ thi tuyển sinh vào lớp 10', 'triển khai chương trình giáo dục phổ thông mới',
          'đón đoàn khách quốc tế đến thăm và làm việc', 'ký kết hợp tác với trường đại học Nhật Bản', 'đẩy mạnh chuyển đổi số trong dạy học',
          'công bố điểm chuẩn tuyển sinh', 'trao học bổng cho học sinh nghèo vượt khó', 'tham gia giao lưu văn hóa với học sinh Lào',
          'tổ chức tuần lễ ASEAN trong trường học', 'tăng cường giáo dục STEM', 'bảo đảm an toàn trường học mùa mưa bão',
          'điều chỉnh mức thu học phí năm học mới', 'được vinh danh tại lễ tuyên dương', 'nhận học bổng du học toàn phần',
          'tập huấn công tác thông tin đối ngoại', 'tiếp nhận thiết bị dạy học do tổ chức quốc tế tài trợ',
          'phản hồi thông tin sai lệch trên mạng xã hội', 'tổ chức thi tốt nghiệp trung học phổ thông an toàn, nghiêm túc'] AS actions,
    ARRAY['năm học 2022-2023', 'dịp đầu năm học mới', 'trong dịp Tết Nguyên đán', 'tại Hải Phòng', 'sau đại dịch COVID-19',
          'trong tháng Thanh niên', 'nhân kỷ niệm Ngày Nhà giáo Việt Nam 20/11', 'tại thành phố Cảng', ''] AS tails,
    ARRAY['Theo báo cáo của Sở Giáo dục và Đào tạo, kết quả năm nay cao hơn năm trước.',
          'Nhiều phụ huynh bày tỏ sự đồng tình và kỳ vọng vào chất lượng giáo dục của thành phố.',
          'Hoạt động nhằm nâng cao chất lượng dạy và học, góp phần quảng bá hình ảnh giáo dục Hải Phòng với bạn bè quốc tế.',
          'Đại diện nhà trường cho biết sẽ tiếp tục phối hợp với các đối tác nước ngoài trong thời gian tới.',
          'Một số ý kiến trên mạng xã hội chưa phản ánh đúng bản chất sự việc, cơ quan chức năng đang xác minh.',
          'Chương trình có sự tham gia của hàng trăm học sinh, giáo viên đến từ các quận, huyện.',
          'Sở đề nghị các đơn vị cung cấp thông tin chính thống, kịp thời cho báo chí.',
          'Các em học sinh được trao đổi kinh nghiệm học tập, tìm hiểu văn hóa các nước Đông Nam Á.',
          'Việc tuyển sinh được thực hiện công khai, minh bạch, đúng quy chế của Bộ Giáo dục và Đào tạo.',
          'Học bổng dành cho học sinh có hoàn cảnh khó khăn, vượt khó học giỏi.'] AS sentences,
    ARRAY['VnExpress', 'Tuổi Trẻ', 'Thanh Niên', 'Báo Hải Phòng', 'Dân trí', 'VietNamNet', 'Giáo dục và Thời đại',
          'Lao Động', 'Tiền Phong', 'Người Lao Động', 'An ninh Hải Phòng', 'Đài Phát thanh và Truyền hình Hải Phòng',
          'VTV', 'Zing News', 'Báo Giáo dục Việt Nam'] AS domestic_outlets,
    ARRAY['vnexpress.net', 'tuoitre.vn', 'thanhnien.vn', 'baohaiphong.com.vn', 'dantri.com.vn', 'vietnamnet.vn', 'giaoducthoidai.vn',
          'laodong.vn', 'tienphong.vn', 'nld.com.vn', 'anhp.vn', 'thhp.vn', 'vtv.vn', 'zingnews.vn', 'giaoduc.net.vn'] AS domestic_hosts,
    ARRAY['BBC Tiếng Việt', 'VOA Tiếng Việt', 'RFI Tiếng Việt', 'Reuters', 'The Diplomat', 'Nikkei Asia', 'Yonhap',
          'Kyodo News', 'Vientiane Times', 'Khmer Times', 'The Straits Times', 'ABC News'] AS foreign_outlets,
    ARRAY['bbc.com', 'voatiengviet.com', 'rfi.fr', 'reuters.com', 'thediplomat.com', 'asia.nikkei.com', 'yna.co.kr',
          'english.kyodonews.net', 'vientianetimes.org.la', 'khmertimeskh.com', 'straitstimes.com', 'abc.net.au'] AS foreign_hosts,
    ARRAY['GB', 'US', 'FR', 'GB', 'US', 'JP', 'KR', 'JP', 'LA', 'KH', 'SG', 'AU'] AS foreign_countries,
    ARRAY['vi', 'vi', 'vi', 'en', 'en', 'en', 'en', 'en', 'en', 'en', 'en', 'en'] AS foreign_languages,
    ARRAY['tuyển sinh', 'chuyển đổi số', 'hợp tác quốc tế', 'học bổng', 'thi tốt nghiệp', 'asean', 'quyền con người',
          'lào', 'campuchia', 'giáo dục stem', 'an toàn trường học', 'học phí'] AS topic_names,
    -- the units an entry may be about (not the outside bodies)
    (SELECT array_agg(id ORDER BY code) FROM units WHERE kind <> 'external') AS unit_ids
) AS v
CROSS JOIN LATERAL (SELECT
    pg_temp.u(g.i, 1) < 0.15 AS is_foreign,
    pg_temp.u(g.i, 2) AS s,
    1 + floor(pg_temp.u(g.i, 3) * 12)::int AS fo,
    1 + floor(pg_temp.u(g.i, 4) * 15)::int AS dom,
    timestamptz '2020-01-01 00:00:00+07' + floor(pg_temp.u(g.i, 5) * 126230400) * interval '1 second' AS published_at,
    floor(pg_temp.u(g.i, 30) * 12)::int AS t1,
    floor(pg_temp.u(g.i, 31) * 5)::int AS t2,
    floor(pg_temp.u(g.i, 32) * 6)::int AS t3
) AS r
CROSS JOIN LATERAL (SELECT
    CASE WHEN r.s < 0.60 THEN 'neutral' WHEN r.s < 0.90 THEN 'positive' ELSE 'negative' END AS sentiment,
    r.s >= 0.98 AS misinformation
) AS k
CROSS JOIN LATERAL (SELECT
    pg_temp.pick(v.subjects, g.i, 6) || ' ' || pg_temp.pick(v.actions, g.i, 7)
        || rtrim(' ' || pg_temp.pick(v.tails, g.i, 8)) AS title,
    CASE WHEN r.is_foreign
         THEN 'https://' || v.foreign_hosts[r.fo] || '/news/' || to_char(r.published_at, 'YYYY/MM') || '/item-' || g.i
         ELSE 'https://' || v.domestic_hosts[r.dom] || '/giao-duc/tin-' || g.i || '.html' END AS url,
    CASE WHEN r.is_foreign THEN v.foreign_outlets[r.fo] ELSE v.domestic_outlets[r.dom] END AS outlet,
    CASE WHEN r.is_foreign THEN 'foreign' ELSE 'domestic' END AS origin,
    CASE WHEN r.is_foreign THEN v.foreign_countries[r.fo] WHEN pg_temp.u(g.i, 9) < 0.9 THEN 'VN' END AS country,
    CASE WHEN r.is_foreign THEN v.foreign_languages[r.fo] ELSE 'vi' END AS language,
    r.published_at,
    r.published_at + (10 + floor(pg_temp.u(g.i, 10) * 1430)) * interval '1 minute' AS captured_at,
    pg_temp.pick(v.sentences, g.i, 13) || ' ' || pg_temp.pick(v.sentences, g.i, 14)
        || CASE WHEN pg_temp.u(g.i, 15) < 0.5 THEN ' ' || pg_temp.pick(v.sentences, g.i, 16) ELSE '' END AS summary,
    CASE WHEN r.is_foreign AND v.foreign_languages[r.fo] <> 'vi'
         THEN 'Bản dịch tóm tắt: ' || pg_temp.pick(v.sentences, g.i, 17) END AS summary_vi,
    -- one to three different topics
    (ARRAY[v.topic_names[1 + r.t1], v.topic_names[1 + (r.t1 + 1 + r.t2) % 12], v.topic_names[1 + (r.t1 + 6 + r.t3) % 12]])
        [1:1 + floor(pg_temp.u(g.i, 18) * 3)::int]::nfc_text[] AS topics,
    k.sentiment, k.misinformation,
    CASE WHEN k.misinformation THEN
             CASE WHEN pg_temp.u(g.i, 19) < 0.50 THEN 'closed' WHEN pg_temp.u(g.i, 19) < 0.80 THEN 'responded'
                  WHEN pg_temp.u(g.i, 19) < 0.90 THEN 'response_drafted' WHEN pg_temp.u(g.i, 19) < 0.95 THEN 'verifying'
                  ELSE 'monitoring' END
         WHEN k.sentiment = 'negative' AND pg_temp.u(g.i, 19) < 0.2 THEN 'monitoring'
         ELSE 'none' END AS status,
    CASE WHEN pg_temp.u(g.i, 20) < 0.4
         THEN v.unit_ids[1 + floor(pg_temp.u(g.i, 22) * cardinality(v.unit_ids))::int] END AS related_unit_id
) AS e;

RESET session_replication_role;
