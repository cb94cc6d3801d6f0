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

    /// A media entry's `POST` is answered from the inserted row: the bytes its `GET` answers
    /// and the model writes, which are also its audit row's `after`, with its Location and ETag.
    @Test func aCreatedEntryIsAnsweredAsItsGetAndAuditedWithTheSameJSON() async throws {
        let server = try await TestServer.get()
        let editor = try await server.token(.admin)
        let marker = "rowpost\(UUID().uuidString.prefix(8).lowercased())"
        let created = try await server.post(
            "/v1/media-entries",
            [
                "title": "Tin \"\(marker)\" về học bổng", "url": "https://example.org/\(marker)", "outlet": "Nikkei Asia",
                "origin": "foreign", "country": "JP", "language": "en", "published_at": "2023-05-05T01:54:56+07:00",
                "summary": "Dòng một\nDòng hai", "topics": [marker, "học bổng"], "sentiment": "positive",
            ], token: editor)
        #expect(created.status == 201)
        let id = try #require((try JSONSerialization.jsonObject(with: created.body) as? [String: Any])?["id"] as? String)
        #expect(created.header("Location") == "/v1/media-entries/\(id)")
        #expect(created.header("ETag") == "\"v1\"")
        let fetched = try await server.get("/v1/media-entries/\(id)", token: editor)
        #expect(fetched.header("ETag") == created.header("ETag"))
        #expect(String(decoding: created.body, as: UTF8.self) == String(decoding: fetched.body, as: UTF8.self))
        let entry = try #require(try await server.pool.withConnection { try await MediaRepository.find(UUID(text: id)!, on: $0) })
        #expect(String(decoding: created.body, as: UTF8.self) == String(decoding: try JSONWriter.encode(entry), as: UTF8.self))
        let audited = try await server.pool.query(
            "SELECT after::text AS after FROM audit_events WHERE resource_type = 'media_entries' AND resource_id = \(id) AND action = 'create'")
        #expect(audited.count == 1)
        let after = try JSONSerialization.jsonObject(with: Data(try audited[0].decode("after", as: String.self).utf8)) as? NSDictionary
        #expect(after == (try JSONSerialization.jsonObject(with: created.body) as? NSDictionary))
    }

    /// A unit nests its officer (`officer.name` columns) and has dates: its GET and its list
    /// page are written from the rows, byte for byte as the model writes them.
    @Test func unitRowsAreWrittenAsTheModelWritesThem() async throws {
        let server = try await TestServer.get()
        let admin = try await server.token(.admin)
        let word = "donvi\(UUID().uuidString.prefix(8).lowercased())"
        let parent = try await server.createUnit(["name": "Phòng \(word) 0"])
        let created = [
            parent,
            try await server.createUnit([
                "name": "Trường \"\(word)\" 1 \\ Tiên Lãng", "parent_id": parent["id"]!, "district": "Tiên Lãng",
                "valid_from": "2023-01-01", "valid_to": "2025-06-30", "reporting_from": "2023-02-28",
                "officer": ["name": "Nguyễn Thị Ánh", "position": "Phó hiệu trưởng", "phone": "0225 3842 000", "email": "anh@example.org"],
            ]),
            try await server.createUnit(["name": "Trường \(word) 2", "officer": ["phone": "0912 000 000"], "website": "https://example.org/t"]),
        ]
        for unit in created {
            let id = try #require(unit["id"] as? String)
            let answer = try await server.get("/v1/units/\(id)", token: admin)
            #expect(answer.status == 200)
            #expect(answer.header("Content-Type") == "application/json; charset=utf-8")
            let uuid = try #require(UUID(uuidString: id))
            let model = try await server.pool.withConnection { try await UnitRepository.find(uuid, on: $0) }
            let expected = try JSONWriter.encode(try #require(model))
            #expect(String(decoding: answer.body, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
            #expect(answer.header("ETag") == model?.etag)
            let again = try await server.get("/v1/units/\(id)", token: admin, headers: ["If-None-Match": answer.header("ETag")!])
            #expect(again.status == 304)
        }
        let missing = try await server.get("/v1/units/\(UUID().uuidString.lowercased())", token: admin)
        #expect(missing.status == 404)
        #expect(missing.header("Content-Type") == "application/problem+json")

        let page = try await server.get("/v1/units?q=\(word)&limit=2&as_of=2024-01-01", token: admin)
        #expect(page.status == 200)
        let json = try #require(try JSONSerialization.jsonObject(with: page.body) as? [String: Any])
        let cursor = try #require(json["next_cursor"] as? String)
        let rows = try await server.pool.query(
            """
            SELECT \(Unit.columns) FROM units u WHERE u.name LIKE \("%\(word)%")
            ORDER BY u.name COLLATE "vi-x-icu", u.id LIMIT 2
            """)
        let expected = try JSONWriter.encode(Page(items: try rows.map(Unit.init(row:)), nextCursor: cursor))
        #expect(String(decoding: page.body, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
        let rest = try await server.get("/v1/units?q=\(word)&limit=2&as_of=2024-01-01&cursor=\(cursor)", token: admin)
        let restJSON = try #require(try JSONSerialization.jsonObject(with: rest.body) as? [String: Any])
        #expect((restJSON["items"] as? [[String: Any]])?.count == 1)
        #expect(restJSON["next_cursor"] is NSNull)
    }

    @Test func columnsNamedParentDotMemberAreNestedObjects() async throws {
        let server = try await TestServer.get()
        let rows = try await server.pool.query(
            """
            SELECT 1 AS a, 'x' AS "o.b", NULL::text AS "o.c", true AS d, 3 AS "p.e", 4 AS "q.f", 'y' AS "q.g"
            UNION ALL SELECT 2, NULL, 'z', false, NULL, 5, NULL
            """)
        let output = JSONWriter.Output()
        try RowJSON.writeObjects(rows, rows.indices, to: output)
        #expect(
            String(decoding: output.bytes, as: UTF8.self)
                == #"{"a":1,"o":{"b":"x","c":null},"d":true,"p":{"e":3},"q":{"f":4,"g":"y"}},"#
                + #"{"a":2,"o":{"b":null,"c":"z"},"d":false,"p":{"e":null},"q":{"f":5,"g":null}}"#)
    }

    struct Day: Encodable { let day: CalendarDate }

    @Test func datesAreWrittenAsTheModelsCalendarDatesAre() async throws {
        let server = try await TestServer.get()
        let rows = try await server.pool.query(
            """
            SELECT on_day AS day FROM (
                SELECT date '0001-01-01' + (random() * 3652058)::int AS on_day FROM generate_series(1, 2000)
                UNION ALL SELECT date '2024-02-29' UNION ALL SELECT date '9999-12-31' UNION ALL SELECT date '0001-01-01'
            ) AS days
            """)
        let fromRows = JSONWriter.Output()
        try RowJSON.writeObjects(rows, rows.indices, to: fromRows)
        let fromDates = try rows.map { String(decoding: try JSONWriter.encode(Day(day: try $0.decode("day"))), as: UTF8.self) }
        #expect(String(decoding: fromRows.bytes, as: UTF8.self) == fromDates.joined(separator: ","))
        for outside in ["infinity", "10000-01-01", "0100-01-01 BC"] {
            let refused = try await server.pool.query("SELECT \(outside)::date AS day")
            #expect(throws: PQError.self) { try RowJSON.writeObjects(refused, refused.indices, to: JSONWriter.Output()) }
            #expect(throws: PQError.self) { try refused[0].decode("day", as: CalendarDate.self) }
        }
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
