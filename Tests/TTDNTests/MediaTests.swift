import Foundation
import PQ
import TTDN
import TTDNKit
import TestSupport
import Testing

func mediaBody(_ extra: [String: Any] = [:]) -> [String: Any] {
    var body: [String: Any] = [
        "title": "Hải Phòng công bố kết quả thi tuyển sinh lớp 10", "url": "https://baohaiphong.vn/giao-duc/\(UUID().uuidString.lowercased())",
        "outlet": "Báo Hải Phòng", "origin": "domestic", "country": "VN", "language": "vi",
        "published_at": "2023-06-20T09:00:00+07:00", "sentiment": "neutral", "topics": ["Thi cử", "tuyển sinh"],
    ]
    for (k, v) in extra { body[k] = v }
    return body
}

@Suite("Media monitoring entries")
struct MediaTests {
    @Test func urlsAreNormalisedForDedupe() {
        #expect(
            CanonicalURL.normalize("HTTPS://VnExpress.NET:443/giao-duc/bai-1/?utm_source=fb&b=2&a=1#binh-luan")
                == "https://vnexpress.net/giao-duc/bai-1?a=1&b=2")
        #expect(CanonicalURL.normalize("http://example.com:80/") == "http://example.com")
        #expect(CanonicalURL.normalize("http://example.com:8080/x?fbclid=abc") == "http://example.com:8080/x")
        #expect(CanonicalURL.normalize("ftp://example.com/x") == nil)
    }

    @Test func theSameArticleTwiceIs409PointingToTheFirst() async throws {
        let server = try await TestServer.get()
        let path = "/tin-tuc/\(UUID().uuidString.lowercased())"
        let first = try await server.post("/v1/media-entries", mediaBody(["url": "https://tuoitre.vn\(path)"]))
        #expect(first.status == 201)
        let again = try await server.post("/v1/media-entries", mediaBody(["url": "HTTPS://TuoiTre.vn:443\(path)/?utm_campaign=x#top"]))
        #expect(again.status == 409)
        #expect(again.json["existing_id"] as? String == first.json["id"] as? String)
        #expect(again.header("Location") == "/v1/media-entries/\(first.json["id"] as! String)")
    }

    @Test func concurrentInsertsOfOneURLLeaveOneRow() async throws {
        let server = try await TestServer.get()
        let url = "https://thanhnien.vn/giao-duc/\(UUID().uuidString.lowercased())"
        let body = try JSONSerialization.data(withJSONObject: mediaBody(["url": url]))
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    try await server.request("POST", "/v1/media-entries", body: body, headers: ["Content-Type": "application/json"]).status
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses.filter { $0 == 201 }.count == 1)
        #expect(statuses.filter { $0 == 409 }.count == 19)
        let count = try await server.pool.query("SELECT count(*)::int8 AS n FROM media_entries WHERE url = \(url)")
        #expect(try count[0].decode("n", as: Int.self) == 1)
    }

    @Test func searchIsAccentInsensitiveInNFCAndNFD() async throws {
        let server = try await TestServer.get()
        let word = "Phượngđỏ\(Int.random(in: 1000...9999))"
        let created = try await server.post(
            "/v1/media-entries",
            mediaBody([
                "title": "Lễ hội \(word) thu hút học sinh quốc tế",
                "summary": "Học sinh Lào và Campuchia tham gia",
            ]))
        #expect(created.status == 201)
        let id = created.json["id"] as! String
        for q in [
            word.lowercased(), word.folding(options: .diacriticInsensitive, locale: nil), word.decomposedStringWithCanonicalMapping,
            "hoc sinh lao campuchia \(word.folding(options: .diacriticInsensitive, locale: nil))",
        ] {
            let encoded = q.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let hits = try await server.get("/v1/media-entries?q=\(encoded)")
            #expect(hits.items.map { $0["id"] as? String } == [id], "\(q)")
        }
    }

    @Test func filtersNarrowTheList() async throws {
        let server = try await TestServer.get()
        let unit = try await server.createUnit()
        let topic = "chủ đề \(UUID().uuidString.prefix(6))"
        let outlet = "Kênh \(UUID().uuidString.prefix(6))"
        let foreign = try await server.post(
            "/v1/media-entries",
            mediaBody([
                "origin": "foreign", "country": "la", "language": "lo", "sentiment": "negative", "misinformation": true,
                "topics": [topic], "outlet": outlet, "related_unit_id": unit["id"]!, "published_at": "2023-03-01T10:00:00Z",
            ]))
        #expect(foreign.status == 201)
        #expect(foreign.json["country"] as? String == "LA")
        let domestic = try await server.post(
            "/v1/media-entries",
            mediaBody([
                "topics": [topic], "outlet": outlet, "related_unit_id": unit["id"]!, "sentiment": "positive", "published_at": "2023-04-01T10:00:00Z",
            ]))
        #expect(domestic.status == 201)
        let base = "/v1/media-entries?related_unit_id=\(unit["id"]!)"
        func ids(_ query: String) async throws -> [String] {
            try await server.get(base + query).items.compactMap { $0["id"] as? String }
        }
        let f = foreign.json["id"] as! String, d = domestic.json["id"] as! String
        #expect(try await ids("") == [d, f])  // newest first
        #expect(try await ids("&origin=foreign") == [f])
        #expect(try await ids("&country=LA") == [f])
        #expect(try await ids("&language=lo") == [f])
        #expect(try await ids("&sentiment=positive") == [d])
        #expect(try await ids("&misinformation=true") == [f])
        #expect(try await ids("&response_status=none") == [d, f])
        #expect(try await ids("&topic=\(topic.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)") == [d, f])
        #expect(try await ids("&outlet=\(outlet.uppercased().addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)") == [d, f])
        #expect(try await ids("&from=2023-03-15&to=2023-04-02") == [d])
        #expect(try await server.get(base + "&sentiment=angry").status == 400)
    }

    @Test func responseLifecycleMovesOneStepAtATime() async throws {
        let server = try await TestServer.get()
        let created = try await server.post("/v1/media-entries", mediaBody(["misinformation": true, "sentiment": "negative"]))
        let path = "/v1/media-entries/\(created.json["id"] as! String)"
        #expect(try await server.patch(path, ["response_status": "responded", "response_note": "x"]).status == 409)
        #expect(try await server.patch(path, ["response_status": "verifying"]).status == 200)
        #expect(try await server.patch(path, ["response_status": "response_drafted"]).status == 200)
        #expect(try await server.patch(path, ["response_status": "responded"]).status == 422)  // needs a note or URL
        let responded = try await server.patch(
            path,
            [
                "response_status": "responded", "response_note": "Sở đã đính chính trên cổng thông tin",
                "response_url": "https://haiphong.edu.vn/dinh-chinh",
            ])
        #expect(responded.status == 200)
        #expect(responded.json["responded_at"] as? String != nil)
        #expect((responded.json["response_time_seconds"] as? Int ?? -1) >= 0)
        #expect(try await server.patch(path, ["response_status": "closed"]).status == 200)
        #expect(try await server.patch(path, ["response_status": "monitoring"]).status == 409)
        let reopened = try await server.patch(path, ["response_status": "monitoring", "reopen": true])
        #expect(reopened.status == 200)
        #expect(reopened.json["responded_at"] is NSNull)
    }

    @Test func importDryRunReportsDuplicatesAndWritesNothing() async throws {
        let server = try await TestServer.get()
        let existing = try await server.post("/v1/media-entries", mediaBody())
        let url = existing.json["url"] as! String
        let fresh = "https://dantri.com.vn/giao-duc/\(UUID().uuidString.lowercased()).htm"
        let csv =
            "title,url,outlet,origin,published_at,topics,misinformation\r\n"
            + "Bài mới,\(fresh),Dân trí,domestic,2023-05-13T08:00:00+07:00,giải phóng;hải phòng,false\r\n"
            + "Bài trùng,\(url),Báo Hải Phòng,domestic,2023-05-13T08:00:00+07:00,,\r\n"
        let dry = try await server.request(
            "POST", "/v1/media-entries/import?dry_run=true", body: Data(csv.utf8), headers: ["Content-Type": "text/csv"])
        #expect(dry.status == 200)
        #expect((dry.json["rows"] as? [[String: Any]])?.map { $0["status"] as? String } == ["valid", "duplicate"])
        #expect(dry.json["valid"] as? Bool == true)
        let none = try await server.pool.query("SELECT count(*)::int8 AS n FROM media_entries WHERE url = \(fresh)")
        #expect(try none[0].decode("n", as: Int.self) == 0)
        let strict = try await server.request(
            "POST", "/v1/media-entries/import?on_duplicate=fail", body: Data(csv.utf8), headers: ["Content-Type": "text/csv"])
        #expect(strict.status == 422)
        let real = try await server.request("POST", "/v1/media-entries/import", body: Data(csv.utf8), headers: ["Content-Type": "text/csv"])
        #expect(real.status == 201)
        #expect(real.json["created"] as? Int == 1)
        #expect(real.json["duplicates"] as? Int == 1)
    }

    @Test func aggregateMatchesAHandCountedFixture() async throws {
        let server = try await TestServer.get()
        // Year 2041 belongs to this test alone.
        let items: [(String, String, String, Bool)] = [
            ("2041-01-10T10:00:00+07:00", "negative", "foreign", true),
            ("2041-01-20T10:00:00+07:00", "neutral", "domestic", false),
            ("2041-01-31T23:30:00+07:00", "neutral", "domestic", false),  // still January in Hai Phong
            ("2041-02-01T00:30:00+07:00", "positive", "domestic", false),
            ("2041-03-05T10:00:00+07:00", "negative", "foreign", true),
        ]
        for (published, sentiment, origin, misinformation) in items {
            var body = mediaBody(["published_at": published, "sentiment": sentiment, "origin": origin, "misinformation": misinformation])
            body["country"] = origin == "foreign" ? "KH" : "VN"
            let created = try await server.post("/v1/media-entries", body)
            #expect(created.status == 201)
            if misinformation {
                // Captured at noon on the day published, answered 2 h (January) or 10 h (March) later.
                let hours = published.hasPrefix("2041-01") ? 2 : 10
                _ = try await server.pool.query(
                    """
                    UPDATE media_entries SET captured_at = date_trunc('day', published_at) + interval '12 hours',
                           responded_at = date_trunc('day', published_at) + interval '12 hours' + make_interval(hours => \(hours)::int),
                           response_status = 'responded', response_note = 'Đã đính chính'
                    WHERE id = \(created.json["id"] as! String)::uuid
                    """)
            }
        }
        let byMonth = try await server.get("/v1/aggregates/media?group_by=month&from=2041-01-01&to=2042-01-01")
        #expect(byMonth.status == 200)
        let groups = byMonth.json["groups"] as? [[String: Any]] ?? []
        #expect(groups.map { $0["key"] as? String } == ["2041-01", "2041-02", "2041-03"])
        #expect(groups.map { $0["count"] as? Int } == [3, 1, 1])
        let times = byMonth.json["response_times"] as? [[String: Any]] ?? []
        #expect(times.map { $0["period"] as? String } == ["2041-01", "2041-03"])
        #expect(times.map { $0["median_seconds"] as? Double } == [7200, 36000])
        #expect(times.map { $0["p90_seconds"] as? Double } == [7200, 36000])
        let two = try await server.get("/v1/aggregates/media?group_by=month,sentiment&from=2041-01-01&to=2041-02-01")
        let pairs = (two.json["groups"] as? [[String: Any]] ?? []).map { ($0["key"] as? [String] ?? [], $0["count"] as? Int ?? 0) }
        #expect(pairs.map(\.0) == [["2041-01", "negative"], ["2041-01", "neutral"]])
        #expect(pairs.map(\.1) == [1, 2])
        let byOutlet = try await server.get("/v1/aggregates/media?group_by=outlet&from=2041-01-01&to=2042-01-01&misinformation=true")
        #expect((byOutlet.json["groups"] as? [[String: Any]])?.first?["count"] as? Int == 2)
        let csv = try await server.get("/v1/aggregates/media?group_by=origin&from=2041-01-01&to=2042-01-01", headers: ["Accept": "text/csv"])
        #expect(csv.text == "origin,count\r\ndomestic,3\r\nforeign,2\r\n")
        // Partial months at both ends come from days, whole months from the monthly rollup.
        let partial = try await server.get("/v1/aggregates/media?group_by=month&from=2041-01-15&to=2041-03-06")
        #expect((partial.json["groups"] as? [[String: Any]] ?? []).map { $0["count"] as? Int } == [2, 1, 1])
        let inside = try await server.get("/v1/aggregates/media?group_by=sentiment&from=2041-01-15&to=2041-02-02&misinformation=false")
        #expect(
            (inside.json["groups"] as? [[String: Any]] ?? []).map { ($0["key"] as? String ?? "") + "=\($0["count"] as? Int ?? 0)" }
                == ["neutral=2", "positive=1"])
        let byDay = try await server.get("/v1/aggregates/media?group_by=day&from=2041-01-31&to=2041-02-02")
        #expect((byDay.json["groups"] as? [[String: Any]] ?? []).map { $0["key"] as? String } == ["2041-01-31", "2041-02-01"])
        #expect(try await server.get("/v1/aggregates/media?group_by=colour").status == 400)
    }

    @Test func rollupsEqualARecountAfterRandomWrites() async throws {
        let server = try await TestServer.get()
        var ids: [String] = []
        var generator = SystemRandomNumberGenerator()
        let sentiments = ["positive", "neutral", "negative"]
        for n in 0..<40 {
            let action = ids.isEmpty ? 0 : Int.random(in: 0..<3, using: &generator)
            switch action {
            case 0:
                let day = Int.random(in: 1...28, using: &generator)
                let created = try await server.post(
                    "/v1/media-entries",
                    mediaBody([
                        "published_at": String(format: "2042-02-%02dT%02d:00:00+07:00", day, n % 24),
                        "sentiment": sentiments.randomElement(using: &generator)!, "misinformation": Bool.random(using: &generator),
                    ]))
                ids.append(created.json["id"] as! String)
            case 1:
                let id = ids.randomElement(using: &generator)!
                _ = try await server.patch(
                    "/v1/media-entries/\(id)",
                    [
                        "sentiment": sentiments.randomElement(using: &generator)!,
                        "published_at": String(format: "2042-03-%02dT10:00:00Z", Int.random(in: 1...28, using: &generator)),
                        "response_status": "monitoring",
                    ])
            default:
                let id = ids.remove(at: Int.random(in: 0..<ids.count, using: &generator))
                #expect(try await server.delete("/v1/media-entries/\(id)").status == 204)
            }
        }
        let mismatch = try await server.pool.query(
            """
            WITH recount AS (
                SELECT (published_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date AS day, sentiment, origin, coalesce(country, '') AS country,
                       response_status, misinformation, count(*)::int8 AS n
                FROM media_entries GROUP BY 1, 2, 3, 4, 5, 6
            )
            SELECT count(*)::int8 AS n FROM recount r
            FULL JOIN (SELECT * FROM media_daily_counts WHERE n > 0) c USING (day, sentiment, origin, country, response_status, misinformation)
            WHERE r.n IS DISTINCT FROM c.n
            """)
        #expect(try mismatch[0].decode("n", as: Int.self) == 0)
        let monthly = try await server.pool.query(
            """
            WITH recount AS (
                SELECT date_trunc('month', (published_at AT TIME ZONE 'Asia/Ho_Chi_Minh'))::date AS month, sentiment, origin,
                       coalesce(country, '') AS country, response_status, misinformation, count(*)::int8 AS n
                FROM media_entries GROUP BY 1, 2, 3, 4, 5, 6
            )
            SELECT count(*)::int8 AS n FROM recount r
            FULL JOIN (SELECT * FROM media_monthly_counts WHERE n > 0) c USING (month, sentiment, origin, country, response_status, misinformation)
            WHERE r.n IS DISTINCT FROM c.n
            """)
        #expect(try monthly[0].decode("n", as: Int.self) == 0)
    }

    @Test func searchAndFilteredListUseIndexesAtScale() async throws {
        // A cluster of its own: 30,000 rows and their statistics would skew the shared database.
        let cluster = try PrivateCluster()
        defer { cluster.destroy() }
        let pool = PQPool(configuration: PQConfiguration(url: cluster.url, statementTimeoutMilliseconds: 300_000), maxConnections: 1)
        defer { pool.close() }
        try await Migrator(directory: URL(fileURLWithPath: sqlDirectory).appendingPathComponent("migrations")).migrate(on: pool)
        _ = try await pool.query(
            """
            INSERT INTO media_entries (title, url, url_normalized, outlet, origin, published_at, sentiment, summary)
            SELECT 'Tin giáo dục số ' || g || CASE WHEN g % 1000 = 0 THEN ' học sinh Lào' ELSE ' kỳ thi tốt nghiệp' END,
                   'https://example.vn/' || g, 'https://example.vn/' || g, 'Báo ' || (g % 50), 'domestic',
                   timestamptz '2020-01-01' + g * interval '10 minutes',
                   (ARRAY['neutral','neutral','positive','negative'])[1 + g % 4]::media_sentiment, 'Tóm tắt ' || g
            FROM generate_series(1, 20000) AS g
            """)
        _ = try await pool.query("ANALYZE media_entries")
        func plan(_ sql: PQQuery) async throws -> String {
            try await pool.query(PQQuery(unescaped: "EXPLAIN ") + sql).map { try $0.decode(0, as: String.self) }.joined(separator: "\n")
        }
        let search = try await plan(
            """
            SELECT id FROM media_entries m WHERE m.search @@ ttdn_search_query('hoc sinh lao') ORDER BY published_at DESC, id DESC LIMIT 20
            """)
        #expect(search.contains("media_entries_search") || search.contains("Index Scan"), "\(search)")
        #expect(!search.contains("Seq Scan"), "\(search)")
        let filtered = try await plan(
            """
            SELECT id FROM media_entries m WHERE m.sentiment = 'negative' ORDER BY published_at DESC, id DESC LIMIT 50
            """)
        #expect(filtered.contains("Index Scan using media_entries_"), "\(filtered)")
        #expect(!filtered.contains("Seq Scan"), "\(filtered)")
    }
}
