import Foundation
import TTDN
import TTDNKit
import TestSupport
import Testing

@Suite("Threads between units and the office")
struct CommentTests {
    @Test func aReportsThreadIsTheUnitsAndTheOffices() async throws {
        let server = try await TestServer.get()
        let unit = try await server.createUnit()["id"] as! String
        let other = try await server.createUnit()["id"] as! String
        let editor = try await server.token(.editor, unit: unit)
        let otherEditor = try await server.token(.editor, unit: other)
        let period = try await makePeriod(server)
        let report = try await server.post("/v1/reports", ["unit_id": unit, "period_id": period], token: editor)
        let thread = "/v1/reports/\(report.json["id"] as! String)/comments"

        let question = try await server.post(thread, ["body": "Văn phòng Sở cho hỏi: chỉ tiêu 8 tính cả Lào và Campuchia?"], token: editor)
        #expect(question.status == 201, "\(question.text)")
        #expect(question.json["author_role"] as? String == "editor")
        #expect(question.json["author_unit_id"] as? String == unit)
        #expect(question.json["parent_type"] as? String == "report")
        let reply = try await server.post(thread, ["body": "Có, tính cả hai."])
        #expect(reply.status == 201)
        #expect(try await server.post(thread, ["body": "Tôi cũng hỏi"], token: otherEditor).status == 404)
        #expect(try await server.get(thread, token: otherEditor).status == 404)
        #expect(try await server.post(thread, ["body": "  "], token: editor).status == 422)
        #expect(try await server.post(thread, ["body": "x", "author_name": "Giám đốc"], token: editor).status == 422)

        let listed = try await server.get(thread, token: editor)
        #expect(listed.items.map { $0["id"] as? String } == [question.json["id"] as? String, reply.json["id"] as? String])

        // The author edits; nobody else does.
        let questionPath = "/v1/comments/\(question.json["id"] as! String)"
        #expect(try await server.patch(questionPath, ["body": "Sửa"]).status == 403)
        let edited = try await server.patch(questionPath, ["body": "Chỉ tiêu 8 có tính Lào, Campuchia không?"], token: editor)
        #expect(edited.status == 200)
        #expect(edited.json["edited_at"] is String)
        #expect(edited.json["body"] as? String == "Chỉ tiêu 8 có tính Lào, Campuchia không?")
        // An admin deletes it: it keeps its place, without its text.
        #expect(try await server.delete("/v1/comments/\(reply.json["id"] as! String)", token: editor).status == 403)
        #expect(try await server.delete(questionPath).status == 204)
        let after = try await server.get(questionPath, token: editor)
        #expect(after.json["body"] is NSNull)
        #expect(after.json["deleted_at"] is String)
        #expect(try await server.get(thread, token: editor).items.count == 2)
        #expect(try await server.patch(questionPath, ["body": "Lại"], token: editor).status == 409)
        #expect(try await server.auditActions("comments", id: question.json["id"] as! String) == ["create", "update", "update"])
    }

    @Test func activityAndAssignmentThreadsAreWrittenByTheirUnitAndTheOffice() async throws {
        let server = try await TestServer.get()
        let unit = try await server.createUnit()["id"] as! String
        let other = try await server.createUnit()["id"] as! String
        let editor = try await server.token(.editor, unit: unit)
        let otherEditor = try await server.token(.editor, unit: other)
        let viewer = try await server.token(.viewer)
        let activity = try await server.post(
            "/v1/activities", ["kind": "study_tour", "title": "Tham quan", "starts_on": "2023-10-01"], token: editor)
        let thread = "/v1/activities/\(activity.json["id"] as! String)/comments"
        #expect(try await server.post(thread, ["body": "Đề nghị bổ sung ảnh."]).status == 201)
        #expect(try await server.post(thread, ["body": "Đã bổ sung."], token: editor).status == 201)
        #expect(try await server.post(thread, ["body": "Hay quá"], token: otherEditor).status == 403)
        #expect(try await server.post(thread, ["body": "Hay quá"], token: viewer).status == 403)
        #expect(try await server.get(thread, token: viewer).items.count == 2)
        let page = try await server.get(thread + "?limit=1")
        #expect(page.items.count == 1)
        #expect(page.json["next_cursor"] is String)

        let task = try await seededTask(server, "III.1.2")
        let assignment = try await server.post("/v1/plan-tasks/\(task)/assignments", ["unit_id": unit])
        let assignmentThread = "/v1/assignments/\(assignment.json["id"] as! String)/comments"
        #expect(try await server.post(assignmentThread, ["body": "Đã triển khai tới các trường."], token: editor).status == 201)
        #expect(try await server.post(assignmentThread, ["body": "?"], token: otherEditor).status == 403)
        #expect(try await server.get("/v1/assignments/\(UUID().uuidString.lowercased())/comments").status == 404)
    }
}
