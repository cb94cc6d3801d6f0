import Foundation
import PQ
import TTDNKit
import Testing

@testable import TTDN

/// A list page written from the rows (`RowJSON`) must be the bytes the model's Encodable writes:
/// the model stays the one definition of a resource's JSON.
@Suite("Rows written as JSON")
struct RowJSONTests {
    @Test func mediaEntryRowsAreWrittenAsTheModelWritesThem() async throws {
        let server = try await TestServer.get()
        let marker = "rowjson-\(UUID().uuidString.prefix(8).lowercased())"
        let unit = try await server.createUnit()
        let unitID = try #require(unit["id"] as? String)
        // Titles and topics that need escaping, non-ASCII text, NULLs, an empty array, and
        // timestamps with every kind of fraction PostgreSQL trims.
        let cases: [(title: String, topics: [String], published: String, responded: String?, summary: String?)] = [
            (
                "Báo \"Nhân Dân\" \\ đưa tin\nvề Hải Phòng\t\u{1}", ["học bổng", "a,b", "with \"quotes\"", "", "NULL", "{}"],
                "2023-05-05 12:34:56+00", nil, nil
            ),
            ("Plain ASCII title", [], "2023-05-05 12:34:56.1+00", "2023-05-06 00:00:00.000001+00", "Tóm tắt 🇻🇳"),
            ("Thứ ba", ["back\\slash"], "1999-12-31 23:59:59.999999+00", "2023-01-01 07:00:00.123456+00", ""),
        ]
        for (index, item) in cases.enumerated() {
            _ = try await server.pool.query(
                """
                INSERT INTO media_entries (title, url, url_normalized, outlet, origin, country, published_at, captured_at,
                    summary, topics, sentiment, misinformation, response_status, responded_at, related_unit_id)
                VALUES (\(item.title), \("https://example.org/\(marker)/\(index)"), \("example.org/\(marker)/\(index)"), 'VnExpress',
                    'foreign', \(index == 0 ? "US" : nil as String?), \(item.published)::timestamptz, '2023-01-01 00:00:00+00',
                    \(item.summary), \(item.topics)::nfc_text[], 'negative', \(index == 1), \(item.responded == nil ? "none" : "responded")::media_response_status,
                    \(item.responded)::timestamptz, \(index == 2 ? unitID : nil as String?)::uuid)
                """)
        }
        let rows = try await server.pool.query(
            "SELECT \(MediaEntry.columns) FROM media_entries m WHERE m.url LIKE \("https://example.org/\(marker)/%") ORDER BY m.url")
        #expect(rows.count == cases.count)

        let fromRows = JSONWriter.Output()
        try RowJSON.writeObjects(rows, rows.indices, to: fromRows)
        let fromModels = try rows.map { try JSONWriter.encode(MediaEntry(row: $0)) }
        #expect(String(decoding: fromRows.bytes, as: UTF8.self) == fromModels.map { String(decoding: $0, as: UTF8.self) }.joined(separator: ","))
    }

    @Test func theListPageIsTheOneThePageTypeWrites() async throws {
        let server = try await TestServer.get()
        let editor = try await server.token(.admin)
        let marker = "rowpage\(UUID().uuidString.prefix(8).lowercased())"
        for index in 0..<3 {
            let created = try await server.post(
                "/v1/media-entries",
                [
                    "title": "Trang \(marker) \(index)", "url": "https://example.org/\(marker)/\(index)", "outlet": "Tuổi Trẻ",
                    "origin": "domestic", "published_at": "2023-0\(index + 1)-15T08:00:00Z", "topics": [marker],
                ], token: editor)
            #expect(created.status == 201)
        }
        let first = try await server.get("/v1/media-entries?topic=\(marker)&limit=2", token: editor)
        #expect(first.status == 200)
        #expect(first.header("Content-Type") == "application/json; charset=utf-8")
        let page = try #require(try JSONSerialization.jsonObject(with: first.body) as? [String: Any])
        let items = try #require(page["items"] as? [[String: Any]])
        #expect(items.map { $0["title"] as? String } == ["Trang \(marker) 2", "Trang \(marker) 1"])
        let cursor = try #require(page["next_cursor"] as? String)
        #expect(first.header("Link")?.contains("cursor=") == true)

        // Byte for byte what the model path writes for the same entries.
        let rows = try await server.pool.query(
            "SELECT \(MediaEntry.columns) FROM media_entries m WHERE m.topics @> ARRAY[\(marker)]::nfc_text[] ORDER BY m.published_at DESC LIMIT 2")
        let expected = try JSONWriter.encode(Page(items: try rows.map(MediaEntry.init(row:)), nextCursor: cursor))
        #expect(String(decoding: first.body, as: UTF8.self) == String(decoding: expected, as: UTF8.self))

        let last = try await server.get("/v1/media-entries?topic=\(marker)&limit=2&cursor=\(cursor)", token: editor)
        let lastPage = try #require(try JSONSerialization.jsonObject(with: last.body) as? [String: Any])
        #expect((lastPage["items"] as? [[String: Any]])?.map { $0["title"] as? String } == ["Trang \(marker) 0"])
        #expect(lastPage["next_cursor"] is NSNull)
        #expect(last.header("Link") == nil)

        // The CSV of the same list still comes from the entries.
        let csv = try await server.get("/v1/media-entries?topic=\(marker)", token: editor, headers: ["Accept": "text/csv"])
        #expect(csv.status == 200)
        #expect(String(decoding: csv.body, as: UTF8.self).split(separator: "\r\n").count == 4)
    }

    struct Stamp: Encodable { let at: Date }

    /// Timestamps are PostgreSQL's digits rearranged; the model's go through a Date. They agree
    /// on thousands of random instants and on the edges of the text's shape.
    @Test func timestampsAreWrittenAsTheModelsDatesAre() async throws {
        let server = try await TestServer.get()
        let rows = try await server.pool.query(
            """
            SELECT at FROM (
                SELECT timestamptz '1900-01-01 00:00:00+00' + random() * interval '200 years' AS at FROM generate_series(1, 3000)
                UNION ALL SELECT date_trunc('second', now())
                UNION ALL SELECT timestamptz '2023-05-05 12:34:56.1+00'
                UNION ALL SELECT timestamptz '2023-05-05 12:34:56.000001+00'
                UNION ALL SELECT timestamptz '2023-12-31 23:59:59.999999+00'
                UNION ALL SELECT timestamptz '0999-01-01 00:00:00.5+00'
                UNION ALL SELECT timestamptz '1500-06-01 12:00:00.001998+00'
                UNION ALL SELECT timestamptz '1899-12-31 23:59:59.999999+00'
                UNION ALL SELECT timestamptz '2099-12-31 23:59:59.999999+00'
                UNION ALL SELECT timestamptz '2100-01-01 00:00:00.000001+00'
                UNION ALL SELECT timestamptz '9999-12-31 23:59:59.999999+00'
            ) AS instants
            """)
        let fromRows = JSONWriter.Output()
        try RowJSON.writeObjects(rows, rows.indices, to: fromRows)
        let fromDates = try rows.map { String(decoding: try JSONWriter.encode(Stamp(at: try $0.decode("at"))), as: UTF8.self) }
        #expect(String(decoding: fromRows.bytes, as: UTF8.self) == fromDates.joined(separator: ","))
        // Shapes the rearrangement does not take go through a Date, or fail as the model's would.
        let infinite = try await server.pool.query("SELECT timestamptz 'infinity' AS at")
        #expect(throws: PQError.self) { try RowJSON.writeObjects(infinite, infinite.indices, to: JSONWriter.Output()) }
        #expect(throws: PQError.self) { try infinite[0].decode("at", as: Date.self) }
    }

    @Test func aColumnOfATypeItDoesNotWriteIsAnErrorNotAGuess() async throws {
        let server = try await TestServer.get()
        let rows = try await server.pool.query("SELECT 1.50::numeric AS amount")
        #expect(throws: PQError.self) { try RowJSON.writeObjects(rows, rows.indices, to: JSONWriter.Output()) }
    }
}
