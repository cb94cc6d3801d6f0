import Foundation
import PQ
import TTDN
import TTDNKit
import TestSupport
import Testing

@Suite("Units: create, read, merge-patch, delete")
struct UnitCRUDTests {
    @Test func createAnswers201WithLocationETagAndOneAuditRow() async throws {
        let server = try await TestServer.get()
        let code = uniqueCode()
        let answer = try await server.post(
            "/v1/units",
            [
                "code": code, "name": "Phòng Giáo dục và Đào tạo quận Thử", "kind": "district_office",
                "district": "Dương Kinh Thử", "officer": ["name": "Nguyễn Văn A", "email": "a@example.vn"],
            ])
        #expect(answer.status == 201)
        let id = try #require(answer.json["id"] as? String)
        #expect(answer.header("Location") == "/v1/units/\(id)")
        #expect(answer.header("ETag") == "\"v1\"")
        #expect((answer.json["officer"] as? [String: Any])?["name"] as? String == "Nguyễn Văn A")
        #expect(answer.json["phone"] is NSNull)
        #expect(try await server.auditActions("units", id: id) == ["create"])

        let fetched = try await server.get("/v1/units/\(id)")
        #expect(fetched.status == 200)
        #expect(fetched.json["code"] as? String == code)
        #expect(fetched.header("ETag") == "\"v1\"")
        let cached = try await server.get("/v1/units/\(id)", headers: ["If-None-Match": "\"v1\""])
        #expect(cached.status == 304)
    }

    @Test func missingUnitIs404() async throws {
        let server = try await TestServer.get()
        #expect(try await server.get("/v1/units/\(UUID().uuidString.lowercased())").status == 404)
        #expect(try await server.get("/v1/units/not-a-uuid").status == 404)
    }

    @Test func invalidBodiesName422Fields() async throws {
        let server = try await TestServer.get()
        let missing = try await server.post("/v1/units", ["name": "x"])
        #expect(missing.status == 422)
        #expect(Set(missing.errorFields) == ["code", "kind"])
        let unknown = try await server.post("/v1/units", ["code": uniqueCode(), "name": "x", "kind": "high_school", "colour": "red"])
        #expect(unknown.status == 422)
        #expect(unknown.errorFields == ["colour"])
        let readOnly = try await server.post("/v1/units", ["code": uniqueCode(), "name": "x", "kind": "high_school", "version": 3])
        #expect(readOnly.status == 422)
        #expect(readOnly.errorFields == ["version"])
        let badValues = try await server.post(
            "/v1/units",
            [
                "code": "has space", "name": String(repeating: "a", count: 10_000), "kind": "castle",
                "email": "nope", "website": "ftp://x", "valid_from": "2023-02-30", "parent_id": "1234", "active": "yes",
            ])
        #expect(badValues.status == 422)
        #expect(Set(badValues.errorFields) == ["code", "name", "kind", "email", "website", "valid_from", "parent_id", "active"])
        let nul = try await server.post("/v1/units", ["code": uniqueCode(), "name": "a\u{0}b", "kind": "high_school"])
        #expect(nul.status == 422)
        #expect(nul.errorFields == ["name"])
        let notObject = try await server.post("/v1/units", [1, 2])
        #expect(notObject.status == 422)
    }

    @Test func duplicateCodeIs422() async throws {
        let server = try await TestServer.get()
        let unit = try await server.createUnit()
        let again = try await server.post("/v1/units", ["code": unit["code"]!, "name": "khác", "kind": "high_school"])
        #expect(again.status == 422)
        #expect(again.errorFields == ["code"])
    }

    @Test func decomposedInputIsStoredComposed() async throws {
        let server = try await TestServer.get()
        let nfc = "Trường THPT Lê Quý Đôn thử nghiệm"
        let nfd = nfc.decomposedStringWithCanonicalMapping
        #expect(nfd.utf8.count > nfc.utf8.count)
        let unit = try await server.createUnit(["name": nfd, "district": "Hải An".decomposedStringWithCanonicalMapping])
        let id = try #require(unit["id"] as? String)
        let rows = try await server.pool.query(
            """
            SELECT octet_length(name) AS bytes, name IS NFC NORMALIZED AS nfc, district = 'Hải An' AS district_ok
            FROM units WHERE id = \(UUID(uuidString: id)!)
            """)
        #expect(try rows[0].decode("bytes", as: Int.self) == nfc.utf8.count)
        #expect(try rows[0].decode("nfc", as: Bool.self))
        #expect(try rows[0].decode("district_ok", as: Bool.self))
    }

    @Test func mergePatchClearsNullKeepsOmittedAndBumpsETag() async throws {
        let server = try await TestServer.get()
        let unit = try await server.createUnit([
            "phone": "0225 3842 123", "address": "12 Trần Phú", "officer": ["name": "Trần Thị B", "phone": "0912345678"],
        ])
        let id = unit["id"] as! String
        let answer = try await server.patch(
            "/v1/units/\(id)", ["phone": NSNull(), "district": "Ngô Quyền", "officer": ["phone": NSNull()]],
            headers: ["If-Match": "\"v1\""])
        #expect(answer.status == 200)
        #expect(answer.json["phone"] is NSNull)
        #expect(answer.json["address"] as? String == "12 Trần Phú")
        #expect(answer.json["district"] as? String == "Ngô Quyền")
        let officer = answer.json["officer"] as? [String: Any]
        #expect(officer?["name"] as? String == "Trần Thị B")
        #expect(officer?["phone"] is NSNull)
        #expect(answer.header("ETag") == "\"v2\"")
        #expect(try await server.auditActions("units", id: id) == ["create", "update"])
        let audit = try await server.pool.query("SELECT changed_fields FROM audit_events WHERE resource_id = \(id) AND action = 'update'")
        #expect(try audit[0].decode("changed_fields", as: [String].self) == ["district", "officer", "phone", "updated_at", "version"])
    }

    @Test func staleIfMatchIs412AndChangesNothing() async throws {
        let server = try await TestServer.get()
        let unit = try await server.createUnit(["district": "Kiến An"])
        let id = unit["id"] as! String
        #expect(try await server.patch("/v1/units/\(id)", ["district": "Đồ Sơn"], headers: ["If-Match": "\"v1\""]).status == 200)
        let stale = try await server.patch("/v1/units/\(id)", ["district": "Hải An"], headers: ["If-Match": "\"v1\""])
        #expect(stale.status == 412)
        #expect(stale.header("Content-Type") == "application/problem+json")
        let now = try await server.get("/v1/units/\(id)")
        #expect(now.json["district"] as? String == "Đồ Sơn")
        #expect(now.json["version"] as? Int == 2)
        let staleDelete = try await server.delete("/v1/units/\(id)", headers: ["If-Match": "\"v1\""])
        #expect(staleDelete.status == 412)
        #expect(try await server.get("/v1/units/\(id)").status == 200)
        #expect(try await server.auditActions("units", id: id) == ["create", "update"])
    }

    @Test func deleteIsRefusedWhileReferencedThenAllowed() async throws {
        let server = try await TestServer.get()
        let parent = try await server.createUnit(["kind": "district_office"])
        let parentID = parent["id"] as! String
        let child = try await server.createUnit(["parent_id": parentID])
        let refused = try await server.delete("/v1/units/\(parentID)")
        #expect(refused.status == 409)
        #expect(try await server.delete("/v1/units/\(child["id"] as! String)").status == 204)
        #expect(try await server.delete("/v1/units/\(parentID)").status == 204)
        #expect(try await server.get("/v1/units/\(parentID)").status == 404)
        #expect(try await server.auditActions("units", id: parentID) == ["create", "delete"])
    }

    @Test func structuralRulesAre422() async throws {
        let server = try await TestServer.get()
        let top = try await server.createUnit(["kind": "department"])
        let topID = top["id"] as! String
        let middle = try await server.createUnit(["kind": "district_office", "parent_id": topID])
        let middleID = middle["id"] as! String
        let leaf = try await server.createUnit(["parent_id": middleID])
        // No unit may become its own ancestor.
        let cycle = try await server.patch("/v1/units/\(topID)", ["parent_id": leaf["id"] as! String])
        #expect(cycle.status == 422)
        #expect(cycle.errorFields == ["parent_id"])
        let selfParent = try await server.patch("/v1/units/\(topID)", ["parent_id": topID])
        #expect(selfParent.status == 422)
        // valid_to must not precede valid_from.
        let backwards = try await server.post(
            "/v1/units",
            [
                "code": uniqueCode(), "name": "x", "kind": "high_school",
                "valid_from": "2023-05-05", "valid_to": "2023-01-01",
            ])
        #expect(backwards.status == 422)
        #expect(backwards.errorFields == ["valid_to"])
        // A successor must be valid the day after the predecessor ends.
        let lateSuccessor = try await server.createUnit(["valid_from": "2025-03-01"])
        let gap = try await server.patch("/v1/units/\(middleID)", ["valid_to": "2024-12-31", "successor_id": lateSuccessor["id"] as! String])
        #expect(gap.status == 422)
        #expect(gap.errorFields == ["successor_id"])
        let unknownParent = try await server.patch("/v1/units/\(middleID)", ["parent_id": UUID().uuidString.lowercased()])
        #expect(unknownParent.status == 422)
        #expect(unknownParent.errorFields == ["parent_id"])
        #expect(try await server.get("/v1/units/\(middleID)").json["version"] as? Int == 1)
    }
}

@Suite("Units: lists, search, effective dating")
struct UnitListTests {
    @Test func accentFreeSearchFindsVietnameseNames() async throws {
        let server = try await TestServer.get()
        let hits = try await server.get("/v1/units?q=phong%20gd%20dt%20le%20chan&as_of=2023-06-01")
        #expect(hits.status == 200)
        #expect(hits.items.map { $0["code"] as? String } == ["PGD-LECHAN"])
        // Decomposed query text finds the same.
        let nfd = "Lê Chân".decomposedStringWithCanonicalMapping.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let decomposed = try await server.get("/v1/units?q=\(nfd)&as_of=2023-06-01")
        #expect(decomposed.items.map { $0["code"] as? String } == ["PGD-LECHAN"])
        let upper = try await server.get("/v1/units?q=THUY%20NGUYEN&as_of=2023-06-01")
        #expect(upper.items.map { $0["code"] as? String } == ["PGD-THUYNGUYEN"])
    }

    @Test func asOfFollowsThe2025Reform() async throws {
        let server = try await TestServer.get()
        func districtOffices(_ date: String) async throws -> Set<String> {
            let answer = try await server.get("/v1/units?kind=district_office&limit=500&as_of=\(date)&q=phong")
            return Set(answer.items.compactMap { $0["code"] as? String }.filter { $0.hasPrefix("PGD-") })
        }
        let in2023 = try await districtOffices("2023-06-01")
        #expect(in2023.count == 15)
        #expect(in2023.contains("PGD-THUYNGUYEN"))
        #expect(!in2023.contains("PGD-TP-THUYNGUYEN"))
        let early2025 = try await districtOffices("2025-03-01")
        #expect(early2025.count == 15)
        #expect(early2025.contains("PGD-TP-THUYNGUYEN"))
        #expect(!early2025.contains("PGD-THUYNGUYEN"))
        #expect(try await districtOffices("2025-07-01").isEmpty)
        let successor = try await server.get("/v1/units?q=huyen%20thuy%20nguyen&as_of=2024-12-31")
        #expect(successor.items.first?["successor_id"] as? String != nil)
    }

    @Test func subtreeAndAncestorFilterFollowAsOf() async throws {
        let server = try await TestServer.get()
        let department = try await server.get("/v1/units?q=SGDDT-HP&as_of=2023-06-01")
        let id = try #require(department.items.first?["id"] as? String)
        let tree2023 = try await server.get("/v1/units/\(id)/subtree?as_of=2023-06-01")
        #expect(tree2023.status == 200)
        let codes2023 = tree2023.items.compactMap { $0["code"] as? String }
        #expect(codes2023.first == "SGDDT-HP")
        #expect(tree2023.items.first?["depth"] as? Int == 0)
        #expect(codes2023.contains("PGD-LECHAN"))
        let tree2026 = try await server.get("/v1/units/\(id)/subtree?as_of=2026-01-01")
        #expect(!tree2026.items.compactMap { $0["code"] as? String }.contains("PGD-LECHAN"))
        let below = try await server.get("/v1/units?ancestor_id=\(id)&as_of=2023-06-01&limit=500")
        let belowCodes = Set(below.items.compactMap { $0["code"] as? String })
        #expect(belowCodes.isSuperset(of: ["PGD-LECHAN", "SGDDT-HP.VP", "THPT-CHUYEN-TRANPHU"]))
        #expect(!belowCodes.contains("SGDDT-HP"))
        #expect(try await server.get("/v1/units/\(UUID().uuidString.lowercased())/subtree").status == 404)
    }

    @Test func pagesWalkEveryRowOnceInVietnameseOrder() async throws {
        let server = try await TestServer.get()
        let district = "Quận \(uniqueCode("P"))"
        let names = ["Trường Ánh Dương", "Trường An Bình", "Trường Đông Hải", "Trường Dương Kinh", "Trường Ốc Đảo", "Trường Ô Mê"]
        for name in names { _ = try await server.createUnit(["name": name, "district": district]) }
        var seen: [String] = []
        var path = "/v1/units?district=\(district.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)&limit=2"
        var pages = 0
        while true {
            let page = try await server.get(path)
            #expect(page.status == 200)
            seen += page.items.compactMap { $0["name"] as? String }
            pages += 1
            guard let next = page.json["next_cursor"] as? String else {
                #expect(page.header("Link") == nil)
                break
            }
            #expect(page.header("Link")?.contains("rel=\"next\"") == true)
            path = "/v1/units?district=\(district.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)&limit=2&cursor=\(next)"
        }
        #expect(pages == 3)
        // Vietnamese order: A < Ă < Â < D < Đ < ... < O < Ô < Ơ.
        #expect(seen == ["Trường An Bình", "Trường Ánh Dương", "Trường Dương Kinh", "Trường Đông Hải", "Trường Ô Mê", "Trường Ốc Đảo"])
    }

    @Test func badListParametersAre400() async throws {
        let server = try await TestServer.get()
        for query in [
            "limit=0", "limit=-1", "limit=abc", "limit=", "limit=501", "cursor=abc", "as_of=2023-02-30",
            "kind=castle", "active=maybe", "parent_id=12", "colour=red",
        ] {
            let answer = try await server.get("/v1/units?\(query)")
            #expect(answer.status == 400, "\(query)")
            #expect(answer.header("Content-Type") == "application/problem+json")
        }
        let first = try await server.get("/v1/units?limit=1&as_of=2023-06-01")
        var cursor = try #require(first.json["next_cursor"] as? String)
        // A character in the middle: the last one may carry only padding bits, and changing those changes no byte.
        let middle = cursor.index(cursor.startIndex, offsetBy: cursor.count / 2)
        cursor.replaceSubrange(middle...middle, with: cursor[middle] == "A" ? "B" : "A")
        let tampered = try await server.get("/v1/units?limit=1&as_of=2023-06-01&cursor=\(cursor)")
        #expect(tampered.status == 400)
        #expect(tampered.errorFields == ["cursor"])
    }

    @Test func csvListIsRFC4180WithHeader() async throws {
        let server = try await TestServer.get()
        let district = "CSV \(uniqueCode("D"))"
        _ = try await server.createUnit(["name": "Trường \"Hoa Phượng Đỏ\", Hải Phòng", "district": district])
        let answer = try await server.get(
            "/v1/units?district=\(district.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)",
            headers: ["Accept": "text/csv"])
        #expect(answer.status == 200)
        #expect(answer.header("Content-Type")?.hasPrefix("text/csv") == true)
        let lines = answer.text.components(separatedBy: "\r\n")
        #expect(lines[0].hasPrefix("id,code,name,kind,parent_id"))
        #expect(lines[1].contains("\"Trường \"\"Hoa Phượng Đỏ\"\", Hải Phòng\""))
        #expect(lines.count == 3 && lines[2].isEmpty)
    }
}
