import Foundation
import PQ
import TTDN
import TTDNKit
import TestSupport
import Testing

@Suite("Idempotency-Key on POST")
struct IdempotencyTests {
    @Test func fiftyConcurrentPostsWithOneKeyCreateOneRow() async throws {
        let server = try await TestServer.get()
        let code = uniqueCode("IDEM")
        let key = UUID().uuidString
        let body = try JSONSerialization.data(withJSONObject: ["code": code, "name": "Trường THPT Đồng thời", "kind": "high_school"])
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<50 {
                group.addTask {
                    try await server.request(
                        "POST", "/v1/units", body: body,
                        headers: ["Idempotency-Key": key, "Content-Type": "application/json"]
                    ).status
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses.allSatisfy { $0 == 201 || $0 == 409 })
        #expect(statuses.contains(201))
        let rows = try await server.pool.query("SELECT count(*)::int8 AS n FROM units WHERE code = \(code)")
        #expect(try rows[0].decode("n", as: Int.self) == 1)
        let audits = try await server.pool.query(
            """
            SELECT count(*)::int8 AS n FROM audit_events a JOIN units u ON a.resource_id = u.id::text WHERE u.code = \(code)
            """)
        #expect(try audits[0].decode("n", as: Int.self) == 1)
    }

    @Test func retryReplaysAndOtherBodyIs422() async throws {
        let server = try await TestServer.get()
        let key = UUID().uuidString
        let body: [String: Any] = ["code": uniqueCode(), "name": "Trường Lặp lại", "kind": "high_school"]
        let first = try await server.post("/v1/units", body, headers: ["Idempotency-Key": key])
        #expect(first.status == 201)
        let retry = try await server.post("/v1/units", body, headers: ["Idempotency-Key": key])
        #expect(retry.status == 201)
        #expect(retry.body == first.body)
        #expect(retry.header("Location") == first.header("Location"))
        #expect(retry.header("Idempotent-Replayed") == "true")
        var other = body
        other["name"] = "Trường Khác"
        let conflict = try await server.post("/v1/units", other, headers: ["Idempotency-Key": key])
        #expect(conflict.status == 422)
        #expect(conflict.errorFields == ["Idempotency-Key"])
    }

    @Test func failedRequestFreesItsKey() async throws {
        let server = try await TestServer.get()
        let key = UUID().uuidString
        let bad = try await server.post("/v1/units", ["code": uniqueCode(), "name": "x", "kind": "castle"], headers: ["Idempotency-Key": key])
        #expect(bad.status == 422)
        let good = try await server.post("/v1/units", ["code": uniqueCode(), "name": "x", "kind": "high_school"], headers: ["Idempotency-Key": key])
        #expect(good.status == 201)
    }

    @Test func keysAreScopedToTheCaller() async throws {
        let server = try await TestServer.get()
        let otherAdmin = try await server.token(.admin)
        let key = UUID().uuidString
        let a = try await server.post("/v1/units", ["code": uniqueCode(), "name": "A", "kind": "high_school"], headers: ["Idempotency-Key": key])
        let b = try await server.post(
            "/v1/units", ["code": uniqueCode(), "name": "B", "kind": "high_school"], token: otherAdmin,
            headers: ["Idempotency-Key": key])
        #expect(a.status == 201)
        #expect(b.status == 201)
        #expect(a.json["id"] as? String != b.json["id"] as? String)
    }
}

@Suite("Unit import")
struct UnitImportTests {
    @Test func dryRunReportsEveryRowAndWritesNothing() async throws {
        let server = try await TestServer.get()
        let parent = uniqueCode("IMP")
        let rows: [[String: Any]] = [
            ["code": parent, "name": "Phòng GD&ĐT Nhập thử", "kind": "district_office"],
            ["code": uniqueCode("IMP"), "name": "Trường Con", "kind": "high_school", "parent_code": parent],
            ["code": uniqueCode("IMP"), "name": "Trường Lỗi", "kind": "castle"],
        ]
        let answer = try await server.request("POST", "/v1/units/import?dry_run=true", json: rows)
        #expect(answer.status == 422)
        #expect(answer.errorFields == ["rows[3].kind"])
        let clean = try await server.request("POST", "/v1/units/import?dry_run=true", json: Array(rows.prefix(2)))
        #expect(clean.status == 200)
        #expect(clean.json["valid"] as? Bool == true)
        let results = clean.json["rows"] as? [[String: Any]] ?? []
        #expect(results.map { $0["status"] as? String } == ["valid", "valid"])
        let count = try await server.pool.query("SELECT count(*)::int8 AS n FROM units WHERE code = \(parent)")
        #expect(try count[0].decode("n", as: Int.self) == 0)
    }

    @Test func realRunIsAllOrNothing() async throws {
        let server = try await TestServer.get()
        let good = uniqueCode("IMP")
        let rows: [[String: Any]] = [
            ["code": good, "name": "Trường Tốt", "kind": "high_school"],
            ["code": uniqueCode("IMP"), "name": "Trường Lỗi", "kind": "high_school", "parent_code": "NO-SUCH-UNIT"],
        ]
        let answer = try await server.request("POST", "/v1/units/import", json: rows)
        #expect(answer.status == 422)
        #expect(answer.errorFields == ["rows[2].parent_code"])
        let count = try await server.pool.query("SELECT count(*)::int8 AS n FROM units WHERE code = \(good)")
        #expect(try count[0].decode("n", as: Int.self) == 0)
    }

    @Test func csvImportBuildsATreeWithSuccessors() async throws {
        let server = try await TestServer.get()
        let office = uniqueCode("CSV")
        let old = uniqueCode("CSV")
        let new = uniqueCode("CSV")
        let csv = """
            code,name,kind,parent_code,district,valid_from,valid_to,successor_code,officer_name,active
            \(office),"Phòng GD&ĐT huyện Nhập, CSV",district_office,,Vĩnh Bảo,,,,Phạm Văn C,true
            \(old),Trường Cũ,high_school,\(office),,,2024-12-31,\(new),,
            \(new),Trường Mới,high_school,\(office),,2025-01-01,,,,
            """
        let answer = try await server.request("POST", "/v1/units/import", body: Data(csv.utf8), headers: ["Content-Type": "text/csv"])
        #expect(answer.status == 201, "\(answer.text)")
        #expect(answer.json["created"] as? Int == 3)
        let rows = try await server.pool.query(
            """
            SELECT o.name AS office_name, o.officer_name, s.code AS successor FROM units c
            JOIN units o ON o.id = c.parent_id LEFT JOIN units s ON s.id = c.successor_id WHERE c.code = \(old)
            """)
        #expect(try rows[0].decode("office_name", as: String.self) == "Phòng GD&ĐT huyện Nhập, CSV")
        #expect(try rows[0].decode("officer_name", as: String?.self) == "Phạm Văn C")
        #expect(try rows[0].decode("successor", as: String?.self) == new)
        let id = try await server.pool.query("SELECT id::text AS id FROM units WHERE code = \(new)")[0].decode("id", as: String.self)
        #expect(try await server.auditActions("units", id: id) == ["import"])
    }
}
