import Foundation
import TTDN
import TTDNKit
import TestSupport
import Testing

@Suite("Difficulties raised to the Board")
struct DifficultyTests {
    @Test func aDifficultyIsRaisedAnsweredAndClosed() async throws {
        let server = try await TestServer.get()
        let unit = try await server.createUnit()["id"] as! String
        let other = try await server.createUnit()["id"] as! String
        let editor = try await server.token(.editor, unit: unit)
        let otherEditor = try await server.token(.editor, unit: other)
        let task = try await seededTask(server, "III.2.3")
        let raised = try await server.post(
            "/v1/difficulties",
            ["title": "Thiếu kinh phí giao lưu với Lào", "description": "Đơn vị chưa có kinh phí đón đoàn học sinh Lào.", "task_id": task],
            token: editor)
        #expect(raised.status == 201, "\(raised.text)")
        #expect(raised.json["status"] as? String == "open")
        #expect(raised.json["unit_id"] as? String == unit)
        #expect(raised.json["days_open"] as? Int == 0)
        let path = "/v1/difficulties/\(raised.json["id"] as! String)"
        #expect(try await server.get(path, token: otherEditor).status == 404)
        #expect(try await server.get("/v1/difficulties?unit_id=\(unit)", token: otherEditor).items.isEmpty)
        #expect(try await server.get("/v1/difficulties?unit_id=\(unit)", token: editor).items.count == 1)
        #expect(try await server.post("/v1/difficulties", ["title": "X", "description": "Y", "unit_id": other], token: editor).status == 403)
        #expect(try await server.post("/v1/difficulties", ["title": "X", "description": "Y", "status": "closed"], token: editor).status == 422)

        #expect(try await server.patch(path, ["description": "Đơn vị chưa có kinh phí đón đoàn 20 học sinh Lào."], token: editor).status == 200)
        #expect(try await server.post(path + "/answer", ["answer": "Tự giải quyết"], token: editor).status == 403)
        #expect(try await server.post(path + "/answer", [String: Any]()).status == 422)
        let answered = try await server.post(path + "/answer", ["answer": "Sở hỗ trợ từ nguồn kinh phí thông tin đối ngoại năm 2023."])
        #expect(answered.status == 200, "\(answered.text)")
        #expect(answered.json["status"] as? String == "answered")
        #expect(answered.json["answered_at"] is String)
        #expect(try await server.patch(path, ["title": "Đổi"], token: editor).status == 409)
        #expect(try await server.post(path + "/close", [String: Any](), token: otherEditor).status == 404)
        let closed = try await server.post(path + "/close", [String: Any](), token: editor)
        #expect(closed.status == 200)
        #expect(closed.json["status"] as? String == "closed")
        #expect(try await server.post(path + "/close", [String: Any](), token: editor).status == 409)
        #expect(try await server.post(path + "/answer", ["answer": "Muộn"]).status == 409)
        #expect(try await server.auditActions("difficulties", id: raised.json["id"] as! String) == ["create", "update", "answer", "close"])
    }

    /// Under a district office D: school S1 has two unanswered and one answered, school S2 one
    /// unanswered and one closed, D itself one closed.
    @Test func whatIsWaitingByUnitOnTwoDaysAndCSVAgrees() async throws {
        let server = try await TestServer.get()
        let (district, s1) = try await unitTree(server)
        let s2 = try await server.createUnit(["kind": "high_school", "parent_id": district])["id"] as! String
        func raise(_ unit: String) async throws -> String {
            let answer = try await server.post(
                "/v1/difficulties", ["unit_id": unit, "title": "Vướng mắc \(uniqueCode())", "description": "Nội dung"])
            return "/v1/difficulties/\(answer.json["id"] as! String)"
        }
        _ = try await raise(s1)
        _ = try await raise(s1)
        _ = try await server.post(try await raise(s1) + "/answer", ["answer": "Trả lời"])
        _ = try await raise(s2)
        _ = try await server.post(try await raise(s2) + "/close", [String: Any]())
        _ = try await server.post(try await raise(district) + "/close", [String: Any]())

        let today = HaiPhong.today()
        let path = "/v1/aggregates/open-difficulties?unit_id=\(district)&as_of=\(today)"
        let waiting = try await server.get(path)
        #expect(waiting.status == 200)
        let rows = waiting.items.map {
            [$0["unit_id"] as? String ?? "", "\($0["open"] ?? "")", "\($0["answered"] ?? "")", "\($0["oldest_open_days"] ?? "")"]
        }
        #expect(rows == [[s1, "2", "1", "0"], [s2, "1", "0", "0"]])
        let csv = try await server.get(path, headers: ["Accept": "text/csv"])
        let lines = csv.text.split(separator: "\r\n").map { parseCSVLine(String($0)) }
        #expect(lines.first == ["unit_id", "unit_code", "unit_name", "open", "answered", "oldest_open_days"])
        #expect(lines.dropFirst().map { [$0[0], $0[3], $0[4], $0[5]] } == rows)
        // The day before, nothing had been raised yet.
        let yesterday = today.adding(days: -1)
        #expect(try await server.get("/v1/aggregates/open-difficulties?unit_id=\(district)&as_of=\(yesterday)").items.isEmpty)
        // A school's editor sees only its own.
        let schoolEditor = try await server.token(.editor, unit: s2)
        let own = try await server.get("/v1/aggregates/open-difficulties?unit_id=\(district)", token: schoolEditor)
        #expect(own.items.map { $0["unit_id"] as? String } == [s2])
    }
}
